#!/usr/bin/env bash
# Peak resident memory (GNU time's "Maximum resident set size") of a Classic ResNet-18 training
# run (batch 32, forward + backward + Adam), ours and PyTorch's, interleaved per repeat; prints
# each side's median and the median of the per-repeat ratios, as `rss at SxS: ours / torch = R`.
# PyTorch's figure includes the Python interpreter and the torch libraries, ours the Swift runtime.
#   benchmarks/classic_rss_vs_torch.sh PYTHON [BENCH_BINARY] [SIZES] [THREADS] [REPEATS] [STEPS]
set -euo pipefail
PY=${1:?usage: classic_rss_vs_torch.sh PYTHON [BENCH] [SIZES] [THREADS] [REPEATS] [STEPS]}
BENCH=${2:-.build/release/bench}; SIZES=${3:-64}; THREADS=${4:-2}; REPEATS=${5:-3}; STEPS=${6:-3}
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
echo "load: $(uptime)"
peak() { /usr/bin/time -f 'PEAK_KB %M' "$@" 2>&1 >/dev/null | sed -n 's/^PEAK_KB //p'; }
for s in ${SIZES//,/ }; do
    ours=(); theirs=()
    for _ in $(seq 1 "$REPEATS"); do
        ours+=("$(peak "$BENCH" classic --sizes "$s" --threads "$THREADS" --steps "$STEPS" --repeats 1)")
        theirs+=("$(OMP_NUM_THREADS=$THREADS peak "$PY" "$(dirname "$0")/torch_resnet_throughput.py" --sizes "$s" \
                   --threads "$THREADS" --steps "$STEPS" --repeats 1)")
    done
    "$PY" - "$s" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
s, a, b = sys.argv[1], list(map(float, sys.argv[2].split())), list(map(float, sys.argv[3].split()))
r = [x / y for x, y in zip(a, b)]
print(f"{s}x{s}: peak RSS ours {statistics.median(a) / 1024:.0f} MiB [{min(a) / 1024:.0f}-{max(a) / 1024:.0f}], "
      f"torch {statistics.median(b) / 1024:.0f} MiB [{min(b) / 1024:.0f}-{max(b) / 1024:.0f}] ({len(r)} interleaved pairs)")
print(f"rss at {s}x{s}: ours / torch = {statistics.median(r):.2f}")
PY
done
