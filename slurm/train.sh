#!/bin/bash
# Data-parallel training as a Slurm batch job: one MPI rank per task, each with its own
# OpenBLAS/Swift threads. Usage:
#   sbatch slurm/train.sh CONFIG [more deepfake flags, e.g. -r]
#   DEEPFAKE_IMAGE=deepfake.sif sbatch slurm/train.sh CONFIG   # the container image (Apptainer)
# On Cirrus/EIDF add your account, partition and QoS (sbatch --account=... or lines below).
#SBATCH --job-name=deepfake-train
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%x-%j.out
##SBATCH --account=YOUR_BUDGET
##SBATCH --partition=standard
##SBATCH --qos=standard
set -euo pipefail

CONFIG=${1:?usage: sbatch slurm/train.sh CONFIG [deepfake flags]}
shift
cd "${SLURM_SUBMIT_DIR:-.}"
# The program: the image's deepfake under Apptainer when DEEPFAKE_IMAGE names one (a .sif built
# with containers/deepfake.def; DEEPFAKE_BIND adds --bind paths, e.g. /work/PROJECT), else the build.
if [ -n "${DEEPFAKE_IMAGE:-}" ]; then
    [ -f "$DEEPFAKE_IMAGE" ] || { echo "error: DEEPFAKE_IMAGE=$DEEPFAKE_IMAGE is not a file: build it with 'apptainer build deepfake.sif containers/deepfake.def'" >&2; exit 2; }
    LAUNCH=(apptainer exec ${DEEPFAKE_BIND:+--bind "$DEEPFAKE_BIND"} "$DEEPFAKE_IMAGE" deepfake)
else
    BIN=${DEEPFAKE_BIN:-.build/release/deepfake}
    [ -x "$BIN" ] || { echo "error: $BIN not found: run 'make build' on the login node first (or set DEEPFAKE_IMAGE)" >&2; exit 2; }
    LAUNCH=("$BIN")
fi

# Ranks share the node's cores: one BLAS thread per allocated CPU, no per-rank backtraces,
# and HDF5 readers that do not lock (several ranks read the same data cache).
export OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export SWIFT_BACKTRACE=enable=no
export HDF5_USE_FILE_LOCKING=FALSE

# Compute nodes have no network: -o trains from the cache prepared by `deepfake prepare`.
srun --mpi=pmix "${LAUNCH[@]}" -c "$CONFIG" -o "$@"
