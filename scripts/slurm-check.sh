#!/usr/bin/env bash
# Submits slurm/train.sh to a real one-node Slurm cluster started here (scripts/slurm-cluster.sh)
# and checks that the 2-task MPI job trained and wrote its run folder. Needs root (munge, daemons).
#   scripts/slurm-check.sh [DEEPFAKE_BINARY]    (default .build/release/deepfake)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-${DEEPFAKE_BIN:-.build/release/deepfake}}")
[ -x "$BIN" ] || { echo "error: $BIN not found: build first (make build)" >&2; exit 2; }
command -v sbatch >/dev/null || { echo "error: Slurm is not installed: WITH_SLURM=1 scripts/install-deps.sh" >&2; exit 2; }
if [ "$(id -u)" != "0" ]; then
    echo "SKIPPED: the Slurm check starts munged, slurmctld and slurmd, which needs root"; exit 0
fi
work=$(mktemp -d /tmp/slurm-check.XXXXXX)
cleanup() { scripts/slurm-cluster.sh down "$work/cluster" || true; rm -rf "$work"; }
trap cleanup EXIT

eval "$(scripts/slurm-cluster.sh up "$work/cluster")"
cat > "$work/config.yaml" <<YAML
modelType: Classic
trainData:
  demo: "builtin:small"
valSize: 0.25
testSize: 0.5
batchSize: 32
numEpochs: 1
learningRate: 0.001
beta1: 0.9
nCPUs: 1
dataPath: $work/data
outputsPath: $work/results
YAML
"$BIN" prepare -c "$work/config.yaml" -o >/dev/null    # the login-node step: data into the cache
DEEPFAKE_BIN="$BIN" sbatch --wait --output="$work/job-%j.out" slurm/train.sh "$work/config.yaml"
out=$(ls "$work"/job-*.out)
cat "$out"
grep -q "2 rank(s)" "$out" || { echo "FAILED: the job did not run 2 MPI ranks" >&2; exit 1; }
csv=$(ls "$work"/results/*/epochs.csv)
[ "$(wc -l < "$csv")" -eq 2 ] || { echo "FAILED: $csv should hold a header and 1 epoch" >&2; exit 1; }
[ -f "$(dirname "$csv")/test_metrics.json" ] || { echo "FAILED: no test_metrics.json" >&2; exit 1; }
echo "slurm check passed: sbatch slurm/train.sh ran 2 MPI ranks and wrote $(dirname "$csv")"
