#!/usr/bin/env bash
# Trains Classic, HQNN (+ twin) and QNN (cached, trainable) on the built-in faces at 32x32,
# batch 32, and prints training images/s and the best validation AUC from each run's epochs.csv.
# Usage: benchmarks/quantum_models_demo.sh [EPOCHS] [DEEPFAKE_BINARY] [WORK_DIR]
#   e.g. swift build -c release --product deepfake && benchmarks/quantum_models_demo.sh 5
set -euo pipefail
EPOCHS=${1:-5}
BIN=${2:-.build/release/deepfake}
WORK=${3:-/tmp/quantum-models-demo}
DATA=${DATA:-builtin}   # builtin (500 + 500 faces, 64 px) or builtin:small (120 + 120, 32 px)
LR=${LR:-0.001}
ONLY=${ONLY:-}           # e.g. ONLY="Classic HQNN" to run a subset
mkdir -p "$WORK"
run() {  # name, model keys (one per line)
  local name=$1 keys=$2 cfg="$WORK/$1.yaml"
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
  printf '%s\ntrainData:\n  demo: "%s"\nvalSize: 0.2\ntestSize: 0.5\nbatchSize: 32\nimageHeight: 32\nimageWidth: 32\nnumEpochs: %s\nlearningRate: %s\nbeta1: 0.9\naugment: [hflip]\nnCPUs: 2\ndataPath: %s/data\noutputsPath: %s/results\n' \
    "$keys" "$DATA" "$EPOCHS" "$LR" "$WORK" "$WORK" > "$cfg"
  local t0=$(date +%s.%N)
  local folder; folder=$("$BIN" -c "$cfg" -o 2>&1 | sed -n 's/.*done: outputs in //p' | tail -1)
  local t1=$(date +%s.%N)
  python3 - "$name" "$folder/epochs.csv" "$t0" "$t1" <<'PY'
import csv, sys
name, path, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
rows = list(csv.DictReader(open(path)))
ips = [float(r["images_per_second"]) for r in rows]
auc = [float(r["val_auc"]) for r in rows]
print(f"{name:14s} epochs {len(rows)}  train img/s (median) {sorted(ips)[len(ips)//2]:8.1f}  "
      f"val AUC best {max(auc):.4f} last {auc[-1]:.4f}  wall {t1-t0:.0f}s")
PY
}
run Classic "modelType: Classic"
run HQNN "modelType: Quantum
quanType: HQNN"
run HQNN-twin "modelType: Quantum
quanType: HQNN
classicalTwin: true"
run QNN-cached "modelType: Quantum
quanType: QNN"
run QNN-trainable "modelType: Quantum
quanType: QNN
trainable: true"
