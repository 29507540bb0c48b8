#!/bin/bash
# One large statevector split across the tasks of a Slurm job (2^k tasks; each holds
# 16 x 2^(qubits - k) bytes): a seeded random circuit over every gate kind, timed. Usage:
#   sbatch slurm/sharded.sh [QUBITS] [more `bench sharded` flags, e.g. --gates 500]
#   sbatch --ntasks=8 slurm/sharded.sh 32
# --no-check skips the unsharded reference (every task would hold the whole state); to see the
# sharded result equal the unsharded one, run `bench sharded` without it at a small QUBITS.
#SBATCH --job-name=deepfake-sharded
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%x-%j.out
##SBATCH --account=YOUR_BUDGET
##SBATCH --partition=standard
##SBATCH --qos=standard
set -euo pipefail

QUBITS=${1:-26}
shift || true
cd "${SLURM_SUBMIT_DIR:-.}"
BENCH=${BENCH_BIN:-.build/release/bench}
[ -x "$BENCH" ] || { echo "error: $BENCH not found: run 'make build' on the login node first" >&2; exit 2; }
export SWIFT_BACKTRACE=enable=no

srun --mpi=pmix "$BENCH" sharded --qubits "$QUBITS" --threads "${SLURM_CPUS_PER_TASK:-1}" --no-check "$@"
