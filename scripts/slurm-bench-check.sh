#!/usr/bin/env bash
# First, outside Slurm: `bench run` launches a 2-rank sharded measurement with mpirun and each rank
# must report the whole CPU set of this machine (--bind-to none: a rank is not pinned to one core).
# Then submits slurm/bench.sh (quick mode, ranks and sharded suites) to a real one-node Slurm
# cluster started here (scripts/slurm-cluster.sh) and checks that bench launched its 2-rank
# measurements with srun inside the allocation and wrote result files that record the job. Needs root.
#   scripts/slurm-bench-check.sh [BENCH_BINARY]    (default .build/release/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/check-lib.sh
check_binary "${1:-}" "${BENCH_BIN:-}" .build/release/bench
need_slurm_as_root "the Slurm bench check"
work_folder_with_cluster slurm-bench-check
all=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
env -u SLURM_JOB_ID "$BIN" run --quick --suite sharded --sharded-qubits 10 --out "$work/local" >/dev/null
row=$("$BIN" report "$work/local" | grep -E "^\| 10 \| 2 \| 1 \|") || fail "no 2-rank sharded row from the mpirun launch"
grep -q "| $all |" <<<"$row" || fail "mpirun ranks were not allowed all CPUs ($all): $row"
echo "mpirun launch: both ranks allowed CPUs $all (--bind-to none)"

eval "$(scripts/slurm-cluster.sh up "$work/cluster")"
BENCH_BIN="$BIN" BENCH_OUT="$work/out" sbatch --wait --output="$work/job-%j.out" slurm/bench.sh \
    --quick --suite ranks --suite sharded --sharded-qubits 10 --datasets "$work/no-datasets"
out=$(ls "$work"/job-*.out)
cat "$out"
grep -q "launch: srun --mpi=pmix -n 2 " "$out" || fail "bench did not launch its 2-rank measurements with srun"
ls "$work"/out/ranks-*.h5 >/dev/null 2>&1 || fail "no ranks result file in $work/out"
ls "$work"/out/sharded-*.h5 >/dev/null 2>&1 || fail "no sharded result file in $work/out"
report=$("$BIN" report "$work/out")
grep -q "Slurm job [0-9]" <<<"$report" || fail "the result files do not record the Slurm job"
grep -qE "^\| Classic \| 32 \| strong \| 2 \| 1 \|" <<<"$report" || fail "no 2-rank strong-scaling row on 1 node in the ranks table"
grep -qE "^\| 10 \| 2 \| 1 \|" <<<"$report" || fail "no 2-rank row in the sharded table"
[ -f "$work/out/plots/ranks-speedup.svg" ] || fail "slurm/bench.sh wrote no plots"
echo "slurm bench check passed: sbatch slurm/bench.sh launched 2-rank srun steps and wrote $(ls "$work"/out/*.h5 | wc -l) result files"
