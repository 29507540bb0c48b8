#!/bin/bash
# One large statevector split across the tasks of a Slurm job (2^k tasks; each holds
# 16 x 2^(qubits - k) bytes): a seeded random circuit over every gate kind, then forward and
# adjoint gradient of one StronglyEntangling layer, timed. Usage:
#   sbatch slurm/sharded.sh [QUBITS] [more `bench sharded` flags, e.g. --gates 500]
#   sbatch --ntasks=8 slurm/sharded.sh 32
# --no-check skips the unsharded reference (every task would hold the whole state); to see the
# sharded result equal the unsharded one, run `bench sharded` without it at a small QUBITS.
#SBATCH --job-name=deepfake-sharded
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1   # threads per task: each task is bound to its own cpus-per-task cores
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
# Bind each task to ITS cores (all cpus-per-task of them), never to one core per task: the log's
# sharded_binding / sharded_cpus_per_rank lines show the affinity each rank actually got. Under
# mpirun instead of srun: mpirun --map-by slot:PE=$SLURM_CPUS_PER_TASK (or --bind-to none).
export SRUN_CPUS_PER_TASK=${SLURM_CPUS_PER_TASK:-1}

srun --mpi=pmix --cpu-bind=cores "$BENCH" sharded --qubits "$QUBITS" --threads "${SLURM_CPUS_PER_TASK:-1}" --no-check --gradient-layers 1 "$@"
