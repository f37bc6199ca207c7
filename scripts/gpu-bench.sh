#!/usr/bin/env bash
# Issue 5's GPU benchmark in one call, for a session lent a device (see docs/bench_generation.md).
# Random weights in the shape of Qwen2.5-0.5B (speed does not depend on the weights), bf16, 256-token
# prompts sharing a 30% prefix, 64-token replies; the one-at-a-time baseline up to 64 channels.
#
#   device tool:  bash scripts/gpu-bench.sh            (results in $OUT: gpu.txt, bench_gpu.md/.json)
#   smoke on CPU: DEVICE=cpu CHANNELS=1,4 NEW_TOKENS=4 PROMPT_TOKENS=32 bash scripts/gpu-bench.sh
#
# Issue 18 (a served model reading requests and reranking, benchmarks/assist.py) runs after it when a model
# is named: ASSIST_MODEL=<local dir or hub name> starts `transformers serve` on
# loopback (needs transformers[serving]); ASSIST_URL=http://host:port/v1 uses a running vLLM/SGLang
# server instead (ASSIST_MODEL is then the served name). Results in $OUT/assist.md. Neither set: skipped.
# SKIP_GENERATION=1 runs only this part.
#
# The generation part builds its model locally (random weights) and needs no network. A hub name in
# ASSIST_MODEL is downloaded if the machine can reach the hub; on one that cannot (the lent device), run
# with HF_HUB_OFFLINE=1 so a model already in the HF cache loads without waiting on the hub. The script
# never sets that itself: a caller with a network must be able to download what they name.
#
# Needs only torch and transformers >= 5 (the device image has both); nothing else of the project's.
set -euo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-$(mktemp -d)}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
CHANNELS=${CHANNELS:-1,8,64,256}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  "$PY" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, \
'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"
} | tee "$OUT/gpu.txt"
[[ -n "${SKIP_GENERATION:-}" ]] || "$PY" -m benchmarks.generation --model qwen0.5b --device "$DEVICE" --channels "$CHANNELS" \
  --prompt-tokens "${PROMPT_TOKENS:-256}" --new-tokens "${NEW_TOKENS:-64}" --messages 1 --max-batch 256 \
  --baseline-max-channels 64 --with-noprefix ${EXTRA:-} --out "$OUT/bench_gpu.json" | tee "$OUT/bench_gpu.md"
if [[ -n "${ASSIST_URL:-}" || -n "${ASSIST_MODEL:-}" ]]; then
  URL=${ASSIST_URL:-}
  SERVER_PID=""
  if [[ -z "$URL" ]]; then
    PORT=${ASSIST_PORT:-8765}
    transformers serve "$ASSIST_MODEL" --host 127.0.0.1 --port "$PORT" >"$OUT/assist_server.log" 2>&1 &
    SERVER_PID=$!
    trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true' EXIT
    URL="http://127.0.0.1:$PORT/v1"
    for _ in $(seq 1 "${ASSIST_WAIT_S:-300}"); do
      curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
      kill -0 "$SERVER_PID" 2>/dev/null || { echo "transformers serve exited; see $OUT/assist_server.log"; exit 1; }
      sleep 1
    done
  fi
  "$PY" -m benchmarks.assist --base-url "$URL" --model "${ASSIST_MODEL:-served}" --limit "${ASSIST_LIMIT:-0}" \
    | tee "$OUT/assist.md"
else
  echo "assist benchmark skipped (set ASSIST_MODEL or ASSIST_URL)" | tee "$OUT/assist.md"
fi
echo "results in $OUT"
