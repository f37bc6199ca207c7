"""Understanding in Chinese, Japanese, Spanish, German and French through a lexical pivot onto the
English parser (see parser.py); one lexicon module per language."""
