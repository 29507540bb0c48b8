# check-lib.sh: what the MPI and Slurm check scripts share. Sourced, not run:
#   source "$(dirname "$0")/check-lib.sh"
# The binary argument, the tools a check needs, its work folder (removed at exit), MPI as root, a
# FAILED line, and the small Classic config several checks train.

# check_binary ARG ENV_VALUE DEFAULT: sets BIN to the executable to check (the argument, else the
# environment's, else the default) as an absolute path; exits 2 when it is not built.
check_binary() {
    BIN=$(realpath "${1:-${2:-$3}}")
    [ -x "$BIN" ] || { echo "error: $BIN not found: build first (make build)" >&2; exit 2; }
}

need_mpirun() {
    command -v mpirun >/dev/null || { echo "error: mpirun not found: apt-get install openmpi-bin" >&2; exit 2; }
}

# need_slurm_as_root WHAT: exits 2 without Slurm, and 0 (SKIPPED) when not root: the checks start
# munged, slurmctld and slurmd of their own.
need_slurm_as_root() {
    command -v sbatch >/dev/null || { echo "error: Slurm is not installed: WITH_SLURM=1 scripts/install-deps.sh" >&2; exit 2; }
    if [ "$(id -u)" != "0" ]; then
        echo "SKIPPED: $1 starts munged, slurmctld and slurmd, which needs root"; exit 0
    fi
}

# work_folder: sets `work` to a new temporary folder, removed at exit.
work_folder() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
}

# work_folder_with_cluster NAME: sets `work` to /tmp/NAME.XXXXXX; at exit its own local Slurm
# cluster (started by the caller in $work/cluster) is stopped and the folder removed.
work_folder_with_cluster() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    trap 'scripts/slurm-cluster.sh down "$work/cluster" || true; rm -rf "$work"' EXIT
}

# Open MPI as root (this machine's containers run as root), no Swift backtraces in the expected
# failures' output, one OpenBLAS thread per rank.
mpi_as_root() {
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 SWIFT_BACKTRACE=enable=no OPENBLAS_NUM_THREADS=1
}

# start_mpi_check ARG: the preamble of the mpirun checks: the deepfake binary (ARG, else
# $DEEPFAKE_BIN, else .build/release/deepfake), mpirun, a work folder, MPI as root.
start_mpi_check() {
    check_binary "$1" "${DEEPFAKE_BIN:-}" .build/release/deepfake
    need_mpirun
    work_folder
    mpi_as_root
}

fail() { echo "FAILED: $*" >&2; exit 1; }

# small_classic_config DATA OUTPUTS [YAML_LINE...]: a Classic run on the small built-in set at
# 16 px (seconds per epoch), with the extra lines appended (numEpochs, optimiser settings).
small_classic_config() {
    local data=$1 outputs=$2
    shift 2
    cat <<YAML
modelType: Classic
trainData:
  demo: "builtin:small"
valSize: 0.25
testSize: 0.5
batchSize: 32
imageHeight: 16
imageWidth: 16
nCPUs: 1
dataPath: $data
outputsPath: $outputs
YAML
    local line
    for line in "$@"; do echo "$line"; done
}
