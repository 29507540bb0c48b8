#!/usr/bin/env bash
# Cross-dataset generalisation of the Classic model (issue 13's measurement): train on hard1k and
# test on deepfake2k, and the reverse, at 64x64, for every augmentation setting and seed; prints
# each run's test AUC (read from test_metrics.json's per_dataset object) with the training set's own
# best validation AUC (epochs.csv: what the model reaches in-domain, the ceiling a transfer to that
# set is read against), and, per direction and setting, the mean, the sample standard deviation and
# the range over seeds.
#   benchmarks/cross_dataset.sh [DEEPFAKE_BINARY] [OUT_DIR] [EPOCHS] [SEEDS] [AUGMENTS] [PARALLEL]
# AUGMENTS: comma-separated settings of none (augment: []), blur-jpeg (Wang et al. 2020's preset),
#   full ([hflip, blur, jpeg, crop, resample, colour] with their default keys), self-blend ([hflip,
#   self-blend]: self-blended pseudo-fakes from the real images, Shiohara & Yamasaki 2022),
#   self-blend-full (the full set plus self-blend).
# PARALLEL: 1 runs the two directions one after the other, 2 side by side.
# Data: the kagglehub-layout copies under $KAGGLE (default /work/shared/datasets/kagglehub), offline.
# NCPUS (environment, optional): compute threads per run (the nCPUs key), e.g. 1 when another study
#   shares the machine; unset leaves the default (every core the process may use).
# OUT_DIR must not exist: every run folder, config and log of this measurement goes there.
set -euo pipefail
BIN=${1:-.build/debug/deepfake}; OUT=${2:-results/cross_dataset_$(date -u +%Y%m%d-%H%M%S)}
EPOCHS=${3:-4}; SEEDS=${4:-1,2,3}; AUGS=${5:-none,blur-jpeg,full}; PARALLEL=${6:-1}
KAGGLE=${KAGGLE:-/work/shared/datasets/kagglehub}
HARD1K=hamzaboulahia/hardfakevsrealfaces/versions/1
DEEPFAKE2K=ciplab/real-and-fake-face-detection/versions/1
[ -e "$OUT" ] && { echo "cross_dataset.sh: $OUT exists; give a new OUT_DIR (finished measurements are never overwritten)" >&2; exit 2; }
[ -d "$KAGGLE/datasets/hamzaboulahia" ] && [ -d "$KAGGLE/datasets/ciplab" ] || {
    echo "cross_dataset.sh: hard1k or deepfake2k is absent under $KAGGLE/datasets (set KAGGLE to the kagglehub cache root)" >&2; exit 2; }
mkdir -p "$OUT"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
augment_yaml() {
    case $1 in
        none) echo "augment: []" ;;
        blur-jpeg) echo "augment: [blur-jpeg]" ;;
        full) echo "augment: [hflip, blur, jpeg, crop, resample, colour]" ;;
        self-blend) echo "augment: [hflip, self-blend]" ;;
        self-blend-full) echo "augment: [hflip, self-blend, blur, jpeg, crop, resample, colour]" ;;
        *) echo "cross_dataset.sh: unknown augment setting '$1' (none, blur-jpeg, full, self-blend, self-blend-full)" >&2; exit 2 ;;
    esac
}
# One direction: every (seed, setting) in turn, seed-major so a cut-short run still covers every setting.
direction() {  # TRAIN_NAME TRAIN_HANDLE TEST_NAME TEST_HANDLE
    local dir="$OUT/$1_to_$3"; mkdir -p "$dir"
    for seed in ${SEEDS//,/ }; do
        for aug in ${AUGS//,/ }; do
            local cfg="$dir/$aug-seed$seed.yaml"
            cat > "$cfg" <<EOF
modelType: Classic
trainData:
  $1: $2
testData:
  $3: $4
valSize: 0.2
testSize: 0
batchSize: 32
imageHeight: 64
imageWidth: 64
numEpochs: $EPOCHS
learningRate: 0.0002
beta1: 0.5
manualSeed: $seed
$(augment_yaml "$aug")${NCPUS:+
nCPUs: $NCPUS}
kagglePath: $KAGGLE
dataPath: $dir/data
outputsPath: $dir/runs/$aug-seed$seed
EOF
            local t0=$SECONDS
            if "$BIN" -c "$cfg" -o > "$dir/$aug-seed$seed.log" 2>&1; then
                local metrics; metrics=$(ls "$dir/runs/$aug-seed$seed"/*/test_metrics.json)
                local auc; auc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["per_dataset"][sys.argv[2]]["auc"])' "$metrics" "$3")
                # The training set's own validation AUC (best epoch): what the model reaches in-domain.
                local val; val=$(python3 -c 'import csv,sys; print(max(float(r["val_auc"]) for r in csv.DictReader(open(sys.argv[1]))))' "$(dirname "$metrics")/epochs.csv")
                echo "RESULT $1->$3 $aug seed $seed auc $auc seconds $((SECONDS - t0)) in_domain_val_auc $val" | tee -a "$OUT/results.txt"
            else
                echo "FAILED $1->$3 $aug seed $seed (see $dir/$aug-seed$seed.log)" | tee -a "$OUT/results.txt"
            fi
        done
    done
}
echo "cross_dataset.sh: $EPOCHS epoch(s), seeds $SEEDS, settings $AUGS, binary $BIN; load: $(uptime)" | tee "$OUT/results.txt"
if [ "$PARALLEL" = 2 ]; then
    direction hard1k "$HARD1K" deepfake2k "$DEEPFAKE2K" & direction deepfake2k "$DEEPFAKE2K" hard1k "$HARD1K" & wait
else
    direction hard1k "$HARD1K" deepfake2k "$DEEPFAKE2K"; direction deepfake2k "$DEEPFAKE2K" hard1k "$HARD1K"
fi
echo "load at the end: $(uptime)" | tee -a "$OUT/results.txt"
# Summary: mean, sample standard deviation and range of the AUC per direction and setting.
python3 - "$OUT/results.txt" <<'PY' | tee -a "$OUT/results.txt"
import statistics, sys, collections
runs, vals = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "RESULT":
        runs[(f[1], f[2])].append(float(f[6]))
        if len(f) > 10: vals[(f[1], f[2])].append(float(f[10]))
for (direction, aug), a in sorted(runs.items()):
    sd = statistics.stdev(a) if len(a) > 1 else float("nan")
    v = vals[(direction, aug)]
    ceiling = f"; in-domain validation AUC of the training set mean {statistics.mean(v):.4f}" if v else ""
    print(f"SUMMARY {direction} {aug}: AUC mean {statistics.mean(a):.4f} sd {sd:.4f} range [{min(a):.4f}, {max(a):.4f}] over {len(a)} seed(s){ceiling}")
PY
