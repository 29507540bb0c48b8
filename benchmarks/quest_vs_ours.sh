#!/usr/bin/env bash
# The sharded statevector against QuEST's distributed build: AngleEmbedding(X) + one
# StronglyEntangling layer, forward (<Z_w> of every wire) and adjoint gradient, on R MPI ranks,
# ours (`bench sharded --gradient-layers 1`) and QuEST v4's (benchmarks/quest_layer.c), interleaved
# per round (for each round, qubit count and rank count: QuEST, then ours) so both see the same
# machine load. Prints per (qubits, ranks) each side's medians over the rounds, the largest rank's
# peak RSS, and the lines `ratio at N qubits R ranks: quest / ours = X` (forward) and
# `gradient ratio at N qubits R ranks: quest / ours = X` (X: the median of the per-round ratios).
#   benchmarks/quest_vs_ours.sh QUEST_DIR BENCH QUBITS RANKS REPEATS
# QUEST_DIR: a QuEST checkout built with MPI in QUEST_DIR/build (or $QUEST_BUILD), see
#   benchmarks/README.md; BENCH: our release `bench`; `deepfake` beside it (or $DEEPFAKE) gives
#   the reference values. QUBITS, RANKS: comma-separated (ranks powers of two), e.g. 20,22 1,2.
# Environment: THREADS (default 2, this VM's cores) split over the ranks, max(1, THREADS / R) per
#   rank, as OpenMP threads for QuEST and --threads for ours; CHECK_QUBITS (default 10);
#   OMP_WAIT_POLICY, when set, is handed to QuEST's ranks (passive: idle OpenMP threads sleep
#   instead of spinning, which on a crowded machine decides QuEST's multi-threaded timings).
# Before timing, at CHECK_QUBITS on every R: QuEST's <Z_w> and gradient against `deepfake qlayer`
# (our single-process executor, same values) and ours sharded against that executor
# (sharded_gradient_max_diff); any difference above 1e-10 stops the script with exit 1.
set -euo pipefail
usage="usage: quest_vs_ours.sh QUEST_DIR BENCH QUBITS RANKS REPEATS"
QUEST_DIR=${1:?$usage}; BENCH=${2:?$usage}; QUBITS=${3:?$usage}; RANKS=${4:?$usage}; REPEATS=${5:?$usage}
QUEST_BUILD=${QUEST_BUILD:-$QUEST_DIR/build}
DEEPFAKE=${DEEPFAKE:-$(dirname "$BENCH")/deepfake}
THREADS=${THREADS:-2}; CHECK_QUBITS=${CHECK_QUBITS:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "quest_vs_ours: $*" >&2; exit 1; }
[ -f "$QUEST_BUILD/libQuEST.so" ] && [ -f "$QUEST_BUILD/include/quest.h" ] ||
    fail "no QuEST build in $QUEST_BUILD (libQuEST.so, include/quest.h): build it as benchmarks/README.md says, or set QUEST_BUILD"
[ -x "$BENCH" ] || fail "BENCH $BENCH is not an executable: swift build -c release --product bench"
[ -x "$DEEPFAKE" ] || fail "no deepfake beside BENCH ($DEEPFAKE) for the reference values: swift build -c release --product deepfake, or set DEEPFAKE"
for r in ${RANKS//,/ }; do
    [[ "$r" =~ ^[0-9]+$ ]] && [ "$r" -ge 1 ] && [ $((r & (r - 1))) -eq 0 ] || fail "rank count '$r' is not a power of two: use 1, 2, 4, ..."
done
[[ "$REPEATS" =~ ^[0-9]+$ ]] && [ "$REPEATS" -ge 1 ] || fail "REPEATS must be a positive integer, got '$REPEATS'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quest-vs-ours.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DRIVER=$WORK/quest_layer
mpicc -O2 -std=c11 -Wall -I"$QUEST_BUILD/include" -I"$QUEST_DIR" "$HERE/quest_layer.c" \
    -L"$QUEST_BUILD" -lQuEST -Wl,-rpath,"$QUEST_BUILD" -lm -o "$DRIVER"

threads_for() { local t=$((THREADS / $1)); echo $((t < 1 ? 1 : t)); }
# Every rank under /usr/bin/time: each prints its own peak RSS (KiB) on stderr.
launch() {   # launch R T CMD... : output of rank 0 and every rank's peak_rss_kib line
    local r=$1 t=$2; shift 2
    mpirun -np "$r" --bind-to none --allow-run-as-root --oversubscribe -x OMP_NUM_THREADS="$t" \
        ${OMP_WAIT_POLICY:+-x OMP_WAIT_POLICY="$OMP_WAIT_POLICY"} \
        /usr/bin/time -f "peak_rss_kib %M" "$@" 2>&1
}
key() { awk -v k="$1" '$1 == k { print $2; exit }'; }

echo "load: $(uptime)"
echo "quest: $(git -C "$QUEST_DIR" describe --tags 2>/dev/null || echo unknown) in $QUEST_BUILD; ours: $BENCH;" \
     "threads $THREADS in all; OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-unset}"

# --- values: QuEST (on R ranks) vs our executor vs ours sharded (on R ranks) ---
for r in ${RANKS//,/ }; do
    t=$(threads_for "$r")
    launch "$r" "$t" "$DRIVER" --qubits "$CHECK_QUBITS" --repeats 1 --gradient --print-values > "$WORK/check-quest.txt" ||
        { cat "$WORK/check-quest.txt" >&2; fail "the QuEST driver failed at $CHECK_QUBITS qubits on $r rank(s)"; }
    python3 - "$WORK/check-quest.txt" "$WORK/qlayer.json" <<'PY'
import json, sys
v = {l.split()[0]: l.split()[1] for l in open(sys.argv[1]) if l.startswith("quest_") and len(l.split()) == 2}
nums = lambda k: [float(x) for x in v[k].split(",")]
n, w = int(v["quest_qubits"]), nums("quest_weights")
json.dump({"template": "strong", "wires": n, "layers": 1, "rotation": "X", "inputs": nums("quest_inputs"),
           "weights": [[w[3 * i:3 * i + 3] for i in range(n)]], "diff_method": "adjoint"}, open(sys.argv[2], "w"))
PY
    "$DEEPFAKE" qlayer "$WORK/qlayer.json" > "$WORK/qlayer-out.json" || fail "deepfake qlayer failed on $WORK/qlayer.json"
    python3 - "$WORK/check-quest.txt" "$WORK/qlayer-out.json" "$r" <<'PY' || fail "QuEST and our values differ at $CHECK_QUBITS qubits on $r rank(s) (above)"
import json, sys
v = {l.split()[0]: l.split()[1] for l in open(sys.argv[1]) if l.startswith("quest_") and len(l.split()) == 2}
nums = lambda k: [float(x) for x in v[k].split(",")]
ours, r = json.load(open(sys.argv[2])), sys.argv[3]
g = nums("quest_upstream")
vjp = lambda jac: [sum(g[i] * jac[i][j] for i in range(len(g))) for j in range(len(jac[0]))]
pairs = {"<Z_w>": (nums("quest_expval_z"), ours["expvals"]),
         "d/d inputs": (nums("quest_gradient_inputs"), vjp(ours["jacobian_inputs"])),
         "d/d weights": (nums("quest_gradient_weights"), vjp(ours["jacobian_weights"]))}
assert r == "1" or v["quest_distributed"] == "1", f"QuEST did not distribute its state on {r} ranks"
worst = 0.0
for name, (a, b) in pairs.items():
    assert len(a) == len(b), f"{name}: {len(a)} values from QuEST, {len(b)} from ours"
    d = max(abs(x - y) for x, y in zip(a, b)); worst = max(worst, d)
    print(f"check {v['quest_qubits']} qubits, QuEST on {r} rank(s) vs deepfake qlayer: {name} max |diff| = {d:.2e}")
sys.exit(0 if worst <= 1e-10 else 1)
PY
    launch "$r" "$t" "$BENCH" sharded --qubits "$CHECK_QUBITS" --gates 50 --gradient-layers 1 --threads "$t" > "$WORK/check-ours.txt" ||
        { cat "$WORK/check-ours.txt" >&2; fail "bench sharded failed at $CHECK_QUBITS qubits on $r rank(s)"; }
    for k in sharded_max_amplitude_diff sharded_gradient_max_diff; do
        d=$(key "$k" < "$WORK/check-ours.txt")
        [ -n "$d" ] || fail "bench sharded printed no $k"
        echo "check $CHECK_QUBITS qubits, ours sharded on $r rank(s) vs one process: $k = $d"
        python3 -c "import sys; sys.exit(0 if float('$d') <= 1e-10 else 1)" || fail "ours sharded differs from one process: $k = $d"
    done
done

# --- timing: rounds interleaved, QuEST then ours at each (qubits, ranks) ---
: > "$WORK/times.txt"
for round in $(seq 1 "$REPEATS"); do
    for n in ${QUBITS//,/ }; do
        for r in ${RANKS//,/ }; do
            t=$(threads_for "$r")
            launch "$r" "$t" "$DRIVER" --qubits "$n" --repeats 1 --gradient > "$WORK/q.txt" ||
                { cat "$WORK/q.txt" >&2; fail "the QuEST driver failed at $n qubits on $r rank(s)"; }
            launch "$r" "$t" "$BENCH" sharded --qubits "$n" --gates 8 --gradient-layers 1 --no-check --threads "$t" > "$WORK/o.txt" ||
                { cat "$WORK/o.txt" >&2; fail "bench sharded failed at $n qubits on $r rank(s)"; }
            [ "$(key quest_distributed < "$WORK/q.txt")" = 1 ] || [ "$r" = 1 ] || fail "QuEST did not distribute its state on $r ranks"
            qrss=$(awk '$1 == "peak_rss_kib" { if ($2 > m) m = $2 } END { print m + 0 }' "$WORK/q.txt")
            orss=$(awk '$1 == "peak_rss_kib" { if ($2 > m) m = $2 } END { print m + 0 }' "$WORK/o.txt")
            echo "$n $r $(key quest_forward_seconds < "$WORK/q.txt") $(key sharded_forward_seconds < "$WORK/o.txt")" \
                 "$(key quest_gradient_seconds < "$WORK/q.txt") $(key sharded_adjoint_seconds < "$WORK/o.txt") $qrss $orss" >> "$WORK/times.txt"
            echo "round $round/$REPEATS, $n qubits, $r rank(s) x $t thread(s): $(tail -1 "$WORK/times.txt" | cut -d' ' -f3-6)" \
                 "(quest fwd, ours fwd, quest grad, ours grad s; quest multithreaded $(key quest_multithreaded < "$WORK/q.txt")," \
                 "ours cpus per rank $(key sharded_cpus_per_rank < "$WORK/o.txt"))"
        done
    done
done
echo "load: $(uptime)"
python3 - "$WORK/times.txt" <<'PY'
import statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    n, r, qf, of, qg, og, qm, om = line.split()
    rows.setdefault((int(n), int(r)), []).append(tuple(map(float, (qf, of, qg, og, qm, om))))
for (n, r), v in sorted(rows.items()):
    col = lambda i: [x[i] for x in v]
    rf = [a / b for a, b in zip(col(0), col(1))]; rg = [a / b for a, b in zip(col(2), col(3))]
    print(f"{n} qubits, {r} rank(s), {len(v)} rounds: forward quest {st.median(col(0)):.4f} s, ours {st.median(col(1)):.4f} s; "
          f"gradient quest {st.median(col(2)):.4f} s, ours {st.median(col(3)):.4f} s; "
          f"peak RSS of the largest rank quest {max(col(4)) / 1024:.0f} MiB, ours {max(col(5)) / 1024:.0f} MiB")
    print(f"ratio at {n} qubits {r} ranks: quest / ours = {st.median(rf):.2f} ({min(rf):.2f}-{max(rf):.2f})")
    print(f"gradient ratio at {n} qubits {r} ranks: quest / ours = {st.median(rg):.2f} ({min(rg):.2f}-{max(rg):.2f})")
PY
