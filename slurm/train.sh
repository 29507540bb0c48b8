#!/bin/bash
# Data-parallel training as a Slurm batch job: one MPI rank per task, each with its own
# OpenBLAS/Swift threads. Usage:
#   sbatch slurm/train.sh [CONFIG [more deepfake flags, e.g. -r]]    (default CONFIG: configs/demo.yaml)
#   DEEPFAKE_IMAGE=deepfake.sif sbatch slurm/train.sh CONFIG   # the container image (Apptainer)
# Account, partition and QoS without editing this file: sbatch's own flags
# (sbatch --account=BUDGET --partition=standard --qos=standard slurm/train.sh ...) or its
# environment variables SBATCH_ACCOUNT, SBATCH_PARTITION, SBATCH_QOS (e.g. in your ~/.bashrc).
#
# Time limits and pre-emption: Slurm sends USR1 to this script 300 s before the limit
# (--signal=B:USR1@300); it is passed to the ranks, which stop at the next step boundary, write
# last.h5 and exit 75; the job then requeues itself, and when it starts again
# (SLURM_RESTART_COUNT > 0) it resumes the run folder it recorded for this job id in
# $DEEPFAKE_JOB_RECORDS/JOBID (default .deepfake-jobs/ in the submit folder). scancel
# --signal=USR1 --batch JOBID does the same by hand; SIGTERM (scancel, pre-emption) likewise.
#SBATCH --job-name=deepfake-train
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%x-%j.out
#SBATCH --open-mode=append
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
set -euo pipefail

CONFIG=${1:-configs/demo.yaml}
[ $# -gt 0 ] && shift
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

# A new job starts a run and records its folder; a requeued one resumes that folder.
RECORD=${DEEPFAKE_JOB_RECORDS:-$PWD/.deepfake-jobs}/${SLURM_JOB_ID:-interactive}
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] && [ -s "$RECORD" ]; then
    echo "restart ${SLURM_RESTART_COUNT} of job ${SLURM_JOB_ID}: resuming $(cat "$RECORD")"
    RUN=(--resume "$(cat "$RECORD")")
else
    RUN=(-c "$CONFIG" --job-record "$RECORD")
fi

# Compute nodes have no network: -o trains from the cache prepared by `deepfake prepare`.
# In the background, so that the USR1/TERM trap runs while training (bash defers traps until a
# foreground child exits); the trap passes the signal on to the ranks.
srun --mpi=pmix "${LAUNCH[@]}" "${RUN[@]}" -o "$@" &
child=$!
trap 'echo "signal received: asking the ranks to checkpoint and stop"; scancel --signal=USR1 "$SLURM_JOB_ID" 2>/dev/null || kill -USR1 "$child"' USR1 TERM
set +e
wait "$child"; rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
set -e
if [ "$rc" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    echo "checkpoint written: requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$rc"
