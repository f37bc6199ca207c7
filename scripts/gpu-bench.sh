#!/usr/bin/env bash
# Issue 5's GPU benchmark in one call, for a session lent a device (see docs/bench_generation.md).
# Random weights in the shape of Qwen2.5-0.5B (speed does not depend on the weights), bf16, 256-token
# prompts sharing a 30% prefix, 64-token replies; the one-at-a-time baseline up to 64 channels.
#
#   device tool:  bash scripts/gpu-bench.sh            (results in $OUT: gpu.txt, bench_gpu.md/.json)
#   smoke on CPU: DEVICE=cpu CHANNELS=1,4 NEW_TOKENS=4 PROMPT_TOKENS=32 bash scripts/gpu-bench.sh
#
# Needs only torch and transformers >= 5 (the device image has both); nothing else of the project's.
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
OUT=${OUT:-$(mktemp -d)}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
CHANNELS=${CHANNELS:-1,8,64,256}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  "$PY" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, \
'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"
} | tee "$OUT/gpu.txt"
"$PY" -m benchmarks.generation --model qwen0.5b --device "$DEVICE" --channels "$CHANNELS" \
  --prompt-tokens "${PROMPT_TOKENS:-256}" --new-tokens "${NEW_TOKENS:-64}" --messages 1 --max-batch 256 \
  --baseline-max-channels 64 --with-noprefix ${EXTRA:-} --out "$OUT/bench_gpu.json" | tee "$OUT/bench_gpu.md"
echo "results in $OUT"
