#!/usr/bin/env bash
# Classic ResNet-18 training throughput (forward + backward + Adam, batch 32), ours and PyTorch's,
# in one run, interleaved per size so both see the same machine load; prints the ratios.
#   benchmarks/classic_vs_torch.sh PYTHON [BENCH_BINARY] [SIZES] [THREADS] [STEM]
# STEM: auto (default; the Classic model's rule, conv1 stride 1 up to 64 px), torchvision, highres.
# PYTHON: an interpreter with the CPU torch wheel (pip install /opt/wheels/torch-*+cpu-*.whl).
set -euo pipefail
PY=${1:?usage: classic_vs_torch.sh PYTHON [BENCH] [SIZES] [THREADS]}
BENCH=${2:-.build/release/bench}; SIZES=${3:-32,64,128}; THREADS=${4:-2}; STEM=${5:-auto}
for s in ${SIZES//,/ }; do
    ours=$("$BENCH" classic --sizes "$s" --threads "$THREADS" --steps 3 --stem "$STEM" | tail -1)
    theirs=$(OMP_NUM_THREADS=$THREADS "$PY" "$(dirname "$0")/torch_resnet_throughput.py" --sizes "$s" --threads "$THREADS" --steps 3 --stem "$STEM" | tail -1)
    echo "$ours"; echo "$theirs"
    a=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) img\/s/\1/'); b=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) img\/s/\1/')
    awk -v a="$a" -v b="$b" -v s="$s" 'BEGIN { printf "ratio at %sx%s: ours / torch = %.2f\n", s, s, a / b }'
done
