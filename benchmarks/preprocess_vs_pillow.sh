#!/usr/bin/env bash
# Preprocessing ours vs Pillow + h5py, interleaved: ROUNDS rounds of (each bench binary given,
# Pillow, Pillow --draft) on hard1k and deepfake2k at 64 px; each entry is the best of 2 runs in
# its round; the medians over rounds and the ratios are printed at the end. Record `uptime`: the
# lines it logs carry it.
#   benchmarks/preprocess_vs_pillow.sh PYTHON ROUNDS BENCH [BENCH...]
#   e.g. benchmarks/preprocess_vs_pillow.sh /tmp/venv/bin/python 3 .build/debug/bench /work/main/.build/debug/bench
# PYTHON needs pillow, h5py, numpy; the datasets come from $DEEPFAKE_DATASETS (a kagglehub cache).
set -euo pipefail
PY=$1; ROUNDS=$2; shift 2
K=${DEEPFAKE_DATASETS:-/work/shared/datasets/kagglehub}
PEER=$(dirname "$0")/preprocess_pillow.py
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
log=$out/log.txt
for round in $(seq "$ROUNDS"); do
    echo "== round $round $(date -u +%T) $(uptime)" | tee -a "$log"
    for b in "$@"; do
        echo "-- $b" >> "$log"
        "$b" run --suite preprocess --datasets "$K" --out "$out/bench" 2>&1 | grep "preprocess: .*images/s" >> "$log"
    done
    for d in hard1k=hamzaboulahia/hardfakevsrealfaces/versions/1 deepfake2k=ciplab/real-and-fake-face-detection/versions/1/real_and_fake_face; do
        echo "-- pillow" >> "$log"
        "$PY" "$PEER" --root "$K/datasets" --dataset "$d" --size 64 --processes 2 --repeats 2 >> "$log"
        echo "-- pillow-draft" >> "$log"
        "$PY" "$PEER" --root "$K/datasets" --dataset "$d" --size 64 --processes 2 --repeats 2 --draft >> "$log"
    done
done
echo "== end $(date -u +%T) $(uptime)" | tee -a "$log"
"$PY" - "$log" "$1" <<'PYEOF'
import re, statistics as st, sys
who, data = None, {}
for l in open(sys.argv[1]).read().splitlines():
    if l.startswith('-- '): who = l[3:]; continue
    m = re.match(r'preprocess: (\w+) .* (\d+) images in ([\d.]+) s .* ([\d.]+) CPU ms/image', l)
    if m: data.setdefault((who, m.group(1)), []).append((float(m.group(3)), float(m.group(4)))); continue
    m = re.match(r'pillow(?: \(draft\))? (\w+) .* ([\d.]+) CPU ms/image .*median of 2, ([\d.]+)-', l)
    if m: data.setdefault((who, m.group(1)), []).append((float(m.group(3)), float(m.group(2))))
med = {k: (st.median(x[0] for x in v), st.median(x[1] for x in v)) for k, v in data.items()}
for k in sorted(med): print(f"{k[0]} {k[1]}: median wall {med[k][0]:.2f} s, CPU {med[k][1]:.3f} ms/image over {len(data[k])} rounds")
ours = sys.argv[2]
for d in ('hard1k', 'deepfake2k'):
    if (ours, d) not in med: continue
    for peer in sorted({k[0] for k in med if k[1] == d and k[0] != ours}):
        print(f"{d}: {ours} / {peer}: wall {med[(peer, d)][0] / med[(ours, d)][0]:.2f}x, CPU {med[(peer, d)][1] / med[(ours, d)][1]:.2f}x")
PYEOF
