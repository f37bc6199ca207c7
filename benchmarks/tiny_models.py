"""Small models built offline, for tests and quick benchmarks (speed does not depend on the weights).

- ``tiny_tokenizer``: a byte-level BPE trained in milliseconds on a few sentences, with ChatML markers and a
  chat template, so prompts go through the same code path as a real instruct model.
- ``tiny_llama``: a 2-layer Llama with random weights over that vocabulary.
- ``qwen05b_shaped``: random weights in the shape of Qwen2.5-0.5B (GPU speed runs), with ``IdTokenizer``.
"""

from __future__ import annotations

from typing import Any

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = [
    "Here are some picks you might enjoy tonight with friends.",
    "These movies and books share a dark, tense mood and great characters.",
    "The person wrote something; recommend films, novels, comedies, thrillers, drama and sci-fi.",
    "Facts: a movie by a director, a book by an author, why it was picked, what it is about.",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 .,;:!?'\"()-",
]


def tiny_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>", unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
    )
    fast.chat_template = CHATML_TEMPLATE
    fast.padding_side = "left"
    return fast


def tiny_llama(tokenizer: Any, seed: int = 0, layers: int = 2, hidden: int = 32) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    # Untied output weights: with tied random weights the model just repeats its input token.
    cfg = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(cfg).eval()


class IdTokenizer:
    """The tokenizer surface GenerationPool needs, for random-weight models with a big vocabulary."""

    def __init__(self, eos_token_id: int, pad_token_id: int | None = None) -> None:
        self.eos_token_id = eos_token_id
        self.pad_token_id = eos_token_id if pad_token_id is None else pad_token_id

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(f" t{i}" for i in ids if not (skip_special_tokens and i == self.eos_token_id))


def qwen05b_shaped(device: str, dtype: Any, seed: int = 0) -> tuple[Any, IdTokenizer]:
    """Random weights with Qwen2.5-0.5B's architecture (24 layers, hidden 896, GQA 14/2, vocab 151,936)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1e6,
        tie_word_embeddings=True, eos_token_id=151645, pad_token_id=151643, bos_token_id=151643,
    )
    with torch.device(device):
        model = Qwen2ForCausalLM(cfg).to(dtype)
    return model.eval(), IdTokenizer(eos_token_id=151645, pad_token_id=151643)
