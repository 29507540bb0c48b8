#!/usr/bin/env bash
# Submits slurm/bench.sh (quick mode, ranks and sharded suites) to a real one-node Slurm cluster
# started here (scripts/slurm-cluster.sh) and checks that bench launched its 2-rank measurements
# with srun inside the allocation and wrote result files that record the job. Needs root.
#   scripts/slurm-bench-check.sh [BENCH_BINARY]    (default .build/release/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-${BENCH_BIN:-.build/release/bench}}")
[ -x "$BIN" ] || { echo "error: $BIN not found: build first (make build)" >&2; exit 2; }
command -v sbatch >/dev/null || { echo "error: Slurm is not installed: WITH_SLURM=1 scripts/install-deps.sh" >&2; exit 2; }
if [ "$(id -u)" != "0" ]; then
    echo "SKIPPED: the Slurm bench check starts munged, slurmctld and slurmd, which needs root"; exit 0
fi
work=$(mktemp -d /tmp/slurm-bench-check.XXXXXX)
cleanup() { scripts/slurm-cluster.sh down "$work/cluster" || true; rm -rf "$work"; }
trap cleanup EXIT

eval "$(scripts/slurm-cluster.sh up "$work/cluster")"
BENCH_BIN="$BIN" BENCH_OUT="$work/out" sbatch --wait --output="$work/job-%j.out" slurm/bench.sh \
    --quick --suite ranks --suite sharded --sharded-qubits 10 --datasets "$work/no-datasets"
out=$(ls "$work"/job-*.out)
cat "$out"
fail() { echo "FAILED: $*" >&2; exit 1; }
grep -q "launch: srun --mpi=pmix -n 2 " "$out" || fail "bench did not launch its 2-rank measurements with srun"
ls "$work"/out/ranks-*.h5 >/dev/null 2>&1 || fail "no ranks result file in $work/out"
ls "$work"/out/sharded-*.h5 >/dev/null 2>&1 || fail "no sharded result file in $work/out"
report=$("$BIN" report "$work/out")
echo "$report" | grep -q "Slurm job [0-9]" || fail "the result files do not record the Slurm job"
echo "$report" | grep -qE "^\| Classic \| 32 \| strong \| 2 \| 1 \|" || fail "no 2-rank strong-scaling row on 1 node in the ranks table"
echo "$report" | grep -qE "^\| 10 \| 2 \| 1 \|" || fail "no 2-rank row in the sharded table"
[ -f "$work/out/plots/ranks-speedup.svg" ] || fail "slurm/bench.sh wrote no plots"
echo "slurm bench check passed: sbatch slurm/bench.sh launched 2-rank srun steps and wrote $(ls "$work"/out/*.h5 | wc -l) result files"
