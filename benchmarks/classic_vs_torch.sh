#!/usr/bin/env bash
# Classic ResNet-18 training throughput (forward + backward + Adam, batch 32), ours and PyTorch's,
# in one run, interleaved per repeat (ours, torch, ours, torch, ...) so both see the same machine
# load; prints each side's median and the median of the per-repeat ratios, then per size the line
# `ratio at SxS: ours / torch = R` (R: that median).
#   benchmarks/classic_vs_torch.sh PYTHON [BENCH_BINARY] [SIZES] [THREADS] [STEM] [REPEATS] [STEPS] [MODE]
# STEM: auto (default; the Classic model's rule, conv1 stride 1 up to 64 px), torchvision, highres.
# MODE: train (default) or eval (inference: our BatchNorm-folded path vs torch eval + inference_mode).
# The uptime load average is printed first: the numbers are only comparable within one run.
# PYTHON: an interpreter with the CPU torch wheel (pip install /opt/wheels/torch-*+cpu-*.whl).
set -euo pipefail
PY=${1:?usage: classic_vs_torch.sh PYTHON [BENCH] [SIZES] [THREADS] [STEM] [REPEATS] [STEPS]}
BENCH=${2:-.build/release/bench}; SIZES=${3:-32,64,128}; THREADS=${4:-2}; STEM=${5:-auto}
REPEATS=${6:-5}; STEPS=${7:-10}; MODE=${8:-train}
case "$MODE" in train) OURS_FLAG=(); ;; eval) OURS_FLAG=(--inference); ;; *) echo "MODE must be train or eval, got $MODE" >&2; exit 2;; esac
echo "load: $(uptime)"
rate() { sed -E 's/.*: ([0-9.]+) img\/s.*/\1/'; }
for s in ${SIZES//,/ }; do
    ours=(); theirs=()
    for _ in $(seq 1 "$REPEATS"); do
        ours+=("$("$BENCH" classic --sizes "$s" --threads "$THREADS" --steps "$STEPS" --repeats 1 --stem "$STEM" "${OURS_FLAG[@]}" | tail -1 | rate)")
        theirs+=("$(OMP_NUM_THREADS=$THREADS "$PY" "$(dirname "$0")/torch_resnet_throughput.py" --sizes "$s" --threads "$THREADS" \
                   --steps "$STEPS" --repeats 1 --stem "$STEM" --mode "$MODE" | tail -1 | rate)")
    done
    "$PY" - "$s" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
s, a, b = sys.argv[1], list(map(float, sys.argv[2].split())), list(map(float, sys.argv[3].split()))
r = [x / y for x, y in zip(a, b)]
print(f"{s}x{s}: ours {statistics.median(a):.1f} img/s [{min(a):.1f}-{max(a):.1f}], torch {statistics.median(b):.1f} [{min(b):.1f}-{max(b):.1f}]; "
      f"ours / torch = {statistics.median(r):.2f} (median of {len(r)} interleaved pairs, {min(r):.2f}-{max(r):.2f})")
print(f"ratio at {s}x{s}: ours / torch = {statistics.median(r):.2f}")
PY
done
