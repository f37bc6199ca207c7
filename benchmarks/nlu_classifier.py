"""Ablation candidates for benchmarks/nlu.py: classifiers over sentence embeddings (all-MiniLM-L6-v2)
trained on the labelled sets, compared with the rule parser on the held-out sets.

* intent: logistic regression on the message embedding, trained on tests/data/nlu_labelled.jsonl,
  tested on tests/data/nlu_heldout.jsonl.
* stance: logistic regression on the embedding of the mention's sentence with the title replaced by
  "it", trained on tests/data/nlu_stance.jsonl, tested on nlu_stance_heldout.jsonl. Mentions are
  located by the rule parser (the classifier only replaces the stance decision), so the two differ
  only in that decision.

scikit-learn comes with sentence-transformers; it is used here only, never at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from core.nlu.evaluation import StanceReport, context_of, score_stance_pairs
from core.nlu.parser import RuleParser

Encode = Callable[[list[str]], np.ndarray]


def _fit(x: np.ndarray, y: list[str]):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced").fit(x, y)


def intent_classifier(encode: Encode, train: list[dict[str, object]], test: list[dict[str, object]]
                      ) -> tuple[float, list[str]]:
    """Intent accuracy on `test` and the predictions."""
    clf = _fit(encode([str(r["text"]) for r in train]), [str(r["intent"]) for r in train])
    pred = [str(p) for p in clf.predict(encode([str(r["text"]) for r in test]))]
    acc = sum(p == r["intent"] for p, r in zip(pred, test, strict=True)) / len(test)
    return acc, pred


def _stance_examples(parser: RuleParser, rows: list[dict[str, object]]) -> list[tuple[str, str, str]]:
    """(text with the mention masked, gold stance, rule stance) per labelled mention/reference."""
    out: list[tuple[str, str, str]] = []
    us = parser.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows])
    for row, u in zip(rows, us, strict=True):
        text = str(row["text"])
        by_id = {m.item_id: m for m in u.items}
        for key, gold in (row.get("stances") or {}).items():  # type: ignore[union-attr]
            m = next((by_id[i] for i in str(key).split("|") if i in by_id), None)
            masked = re.sub(re.escape(m.surface), "it", text, count=1) if m else text
            out.append((masked, str(gold), m.stance if m else "missing"))
        if row.get("ref_stance"):
            out.append((text, str(row["ref_stance"]), u.ref_stance))
    return out


def stance_classifier(encode: Encode, parser: RuleParser, train: list[dict[str, object]],
                      test: list[dict[str, object]]) -> tuple[StanceReport, StanceReport]:
    """(classifier report, rule report) on `test`; a mention the parser missed stays 'missing'."""
    tr = _stance_examples(parser, train)
    te = _stance_examples(parser, test)
    clf = _fit(encode([t for t, _, _ in tr]), [g for _, g, _ in tr])
    pred = [str(p) for p in clf.predict(encode([t for t, _, _ in te]))]
    ml = [(t, g, p if r != "missing" else "missing") for (t, g, r), p in zip(te, pred, strict=True)]
    return score_stance_pairs(ml), score_stance_pairs([(t, g, r) for t, g, r in te])
