#!/bin/bash
# The `make bench` study inside one Slurm allocation, into the same kind of result files. `bench`
# runs once, on the batch host; it sees SLURM_JOB_ID and starts every multi-rank measurement
# (ranks and sharded suites) itself with `srun --mpi=pmix -n R --cpus-per-task=T` inside this
# allocation, and records the job id, node list and each rank's host and CPU set. Usage:
#   sbatch slurm/bench.sh [bench run flags, e.g. --quick or --suite ranks --ranks 1,2,4,8]
#   sbatch --nodes=4 --ntasks-per-node=2 --cpus-per-task=18 slurm/bench.sh --ranks 1,2,4,8 --sharded-ranks 1,2,4,8
# Results: $BENCH_OUT (default results/bench) below the submit folder; the report is printed at the end.
#SBATCH --job-name=deepfake-bench
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%x-%j.out
##SBATCH --account=YOUR_BUDGET
##SBATCH --partition=standard
##SBATCH --qos=standard
set -euo pipefail

cd "${SLURM_SUBMIT_DIR:-.}"
BENCH=${BENCH_BIN:-.build/release/bench}
[ -x "$BENCH" ] || { echo "error: $BENCH not found: run 'make build' on the login node first" >&2; exit 2; }
OUT=${BENCH_OUT:-results/bench}
THREADS=${SLURM_CPUS_PER_TASK:-1}

# No per-rank backtraces; HDF5 readers that do not lock (ranks read one data cache).
export SWIFT_BACKTRACE=enable=no
export HDF5_USE_FILE_LOCKING=FALSE

echo "bench: job ${SLURM_JOB_ID:-?} on ${SLURM_JOB_NODELIST:-?}: ${SLURM_NTASKS:-?} task(s) x $THREADS CPU(s)"
# Compute nodes have no network: the ranks suite uses the built-in set or a kagglehub cache
# already on shared storage (--datasets DIR or $DEEPFAKE_DATASETS).
"$BENCH" run --out "$OUT" --threads "$THREADS" --threads-per-rank "$THREADS" "$@"
"$BENCH" report "$OUT" --plots "$OUT/plots"
