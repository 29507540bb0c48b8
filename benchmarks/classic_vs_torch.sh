#!/usr/bin/env bash
# Classic ResNet-18 training throughput (forward + backward + Adam, batch 32), ours and PyTorch's,
# in one run, interleaved per repeat (ours, torch, ours, torch, ...) so both see the same machine
# load; prints each side's median and the median of the per-repeat ratios.
#   benchmarks/classic_vs_torch.sh PYTHON [BENCH_BINARY] [SIZES] [THREADS] [STEM] [REPEATS] [STEPS]
# STEM: auto (default; the Classic model's rule, conv1 stride 1 up to 64 px), torchvision, highres.
# PYTHON: an interpreter with the CPU torch wheel (pip install /opt/wheels/torch-*+cpu-*.whl).
set -euo pipefail
PY=${1:?usage: classic_vs_torch.sh PYTHON [BENCH] [SIZES] [THREADS] [STEM] [REPEATS] [STEPS]}
BENCH=${2:-.build/release/bench}; SIZES=${3:-32,64,128}; THREADS=${4:-2}; STEM=${5:-auto}
REPEATS=${6:-5}; STEPS=${7:-10}
rate() { sed -E 's/.*: ([0-9.]+) img\/s.*/\1/'; }
for s in ${SIZES//,/ }; do
    ours=(); theirs=()
    for _ in $(seq 1 "$REPEATS"); do
        ours+=("$("$BENCH" classic --sizes "$s" --threads "$THREADS" --steps "$STEPS" --repeats 1 --stem "$STEM" | tail -1 | rate)")
        theirs+=("$(OMP_NUM_THREADS=$THREADS "$PY" "$(dirname "$0")/torch_resnet_throughput.py" --sizes "$s" --threads "$THREADS" \
                   --steps "$STEPS" --repeats 1 --stem "$STEM" | tail -1 | rate)")
    done
    "$PY" - "$s" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
s, a, b = sys.argv[1], list(map(float, sys.argv[2].split())), list(map(float, sys.argv[3].split()))
r = [x / y for x, y in zip(a, b)]
print(f"{s}x{s}: ours {statistics.median(a):.1f} img/s [{min(a):.1f}-{max(a):.1f}], torch {statistics.median(b):.1f} [{min(b):.1f}-{max(b):.1f}]; "
      f"ours / torch = {statistics.median(r):.2f} (median of {len(r)} interleaved pairs, {min(r):.2f}-{max(r):.2f})")
PY
done
