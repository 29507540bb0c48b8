#!/bin/bash
# Data preparation for a login node (or a job on a node with network): download the config's
# Kaggle datasets into the kagglehub cache and sort them into the HDF5 data cache. Usage:
#   bash slurm/prepare.sh CONFIG          (or: sbatch slurm/prepare.sh CONFIG)
#SBATCH --job-name=deepfake-prepare
#SBATCH --ntasks=1
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail
CONFIG=${1:?usage: slurm/prepare.sh CONFIG}
cd "${SLURM_SUBMIT_DIR:-.}"
BIN=${DEEPFAKE_BIN:-.build/release/deepfake}
export SWIFT_BACKTRACE=enable=no
"$BIN" prepare -c "$CONFIG"
