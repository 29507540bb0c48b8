#!/usr/bin/env bash
# One MPI rank and two ranks give the same training result for the same global batch: real
# mpirun, the real binary, the built-in data. Ranks shard every global batch, BatchNorm sums its
# statistics over the ranks (SyncBatchNorm) and one allreduce adds the gradients, so the only
# differences left are floating-point summation order. The check trains in a stable regime (SGD,
# small learning rate, global batch 60): with large steps a randomly initialised ResNet is chaotic
# and rounding differences of 1e-7 grow ~1000x per step, which says nothing about correctness
# (DEEPFAKE_TRACE_STEPS=1 prints the per-step gradient norms to see it).
# Then the sharded statevector and its adjoint gradient (`bench sharded`, next to the deepfake binary)
# on 1, 2 and 4 ranks, and the process grid: HQNN states sharded, trainable-QNN patches shared.
#   scripts/mpi-check.sh [DEEPFAKE_BINARY]     (default .build/release/deepfake)
set -euo pipefail
source "$(dirname "$0")/check-lib.sh"
start_mpi_check "${1:-}"
export OMPI_MCA_rmaps_base_oversubscribe=1
# mpirun binds each rank to ONE core by default (for -np <= 2), which serialises a rank's threads:
# give every rank all its cores (the same as `mpirun --bind-to none`); `bench sharded` logs the
# policy and each rank's affinity mask (sharded_binding, sharded_cpus_per_rank).
export OMPI_MCA_hwloc_base_binding_policy=none
# Every launch runs under a timeout: a deadlocked collective fails the check instead of hanging CI.

for ranks in 1 2 2u; do
    cat > "$work/config$ranks.yaml" <<YAML
modelType: Classic
trainData:
  demo: "builtin:small"
valSize: 0.25
testSize: 0.5
batchSize: ${CHECK_BATCH:-60}
numEpochs: 2
learningRate: ${CHECK_LR:-0.0005}
beta1: 0.9
optimizer: ${CHECK_OPTIMIZER:-sgd}
nCPUs: 1
dataPath: $work/data
outputsPath: $work/results$ranks
YAML
done
# 2u: the same 2-rank run with every rank holding all of the optimiser state (the default shards it).
echo "shardOptimizerState: false" >> "$work/config2u.yaml"
"$BIN" prepare -c "$work/config1.yaml" -o >/dev/null   # build the data cache once, before the ranks read it
for ranks in 1 2 2u; do
    echo "== mpirun -np ${ranks%u}"
    timeout 600 mpirun -np "${ranks%u}" "$BIN" -c "$work/config$ranks.yaml" -o > "$work/log$ranks.txt"
    grep -E "rank|epoch [0-9]+/|test:|TRACE" "$work/log$ranks.txt"
done
grep -q "state sharded over 2 ranks (ZeRO-1)" "$work/log2.txt" || fail "the 2-rank run did not shard its optimiser state"
! grep -q "ZeRO-1" "$work/log2u.txt" || fail "shardOptimizerState: false still sharded the optimiser state"

# epochs.csv columns: epoch, train_loss, train_accuracy, val_loss, val_accuracy, ..., val_auc (9th)
one=$(ls "$work"/results1/*/epochs.csv); two=$(ls "$work"/results2/*/epochs.csv)
echo "== 1 rank:";  cat "$one"
echo "== 2 ranks:"; cat "$two"
paste -d, "$one" "$two" | awk -F, -v cols=13 '
    NR == 1 { next }
    {
        for (c = 2; c <= 9; c++) {
            if (c == 3 || c == 5) continue      # accuracies: a tie flips a whole image, checked via losses
            a = $c; b = $(c + cols); d = a - b; if (d < 0) d = -d
            m = (a < 0 ? -a : a); if (m < 1) m = 1
            # AUC is a rank statistic: two near-equal validation scores swap order under float noise
            # of the summation order (1 vs 2 ranks), moving it by one pair in 15 x 15 (0.0044);
            # more than two pairs is a real difference.
            tol = (c == 9 ? 0.01 : 1e-4)
            if (d / m > tol) { printf "MISMATCH epoch %s column %d: %s vs %s\n", $1, c, a, b; bad = 1 }
        }
    }
    END { if (bad) exit 1; print "1 rank and 2 ranks agree: losses, precision, recall and F1 within 1e-4 relative, AUC within 0.01" }'
# The reduce-scatter and the allreduce both add each part in rank order (on any rank count) and the
# optimiser is elementwise: sharded and unsharded state must give the same epochs to the last printed digit.
unsharded=$(ls "$work"/results2u/*/epochs.csv)
paste -d, "$two" "$unsharded" | awk -F, -v cols=13 '
    NR == 1 { next }
    { for (c = 2; c <= 9; c++) if ($c != $(c + cols)) { printf "MISMATCH epoch %s column %d: sharded %s vs unsharded %s\n", $1, c, $c, $(c + cols); bad = 1 } }
    END { if (bad) exit 1; print "2 ranks with the optimiser state sharded (ZeRO-1) and unsharded agree exactly (losses, accuracies, precision, recall, F1, AUC)" }'

# The sharded statevector: one 14-qubit state split over 1, 2 and 4 real ranks must equal the
# unsharded simulation amplitude by amplitude, with qubit remapping (a split wire trades bits with
# a local one, half a shard each way) and with whole-shard exchanges per gate (--no-remap); every
# rank count must give the same <Z_i>; and the adjoint gradient of two StronglyEntangling layers on
# the sharded state must equal the single-process engine's (values, input and weight VJP) to 1e-10.
BENCH="$(dirname "$BIN")/bench"
[ -x "$BENCH" ] || { echo "error: $BENCH not found: build both products (swift build)" >&2; exit 2; }
# The gradient sums themselves (point-to-point, each part added by its owner in rank order) on 1-4
# real ranks (`bench collectives` lists the cases: in place, buckets in flight, allreduces down to
# 1 float, blocking collectives between start and wait, uneven and empty parts), bitwise against
# the rank-order sum of contributions whose sum depends on the order from 3 ranks on (a sum in
# another order fails it); a deadlock fails by the timeout instead of hanging the check.
for ranks in 1 2 3 4; do
    out=$(timeout 120 mpirun -np "$ranks" "$BENCH" collectives --repeats 0) || fail "bench collectives on $ranks ranks failed or hung (status $?)"
    echo "== collectives, mpirun -np $ranks: $(echo "$out" | tr '\n' ' ')"
    echo "$out" | grep -q "^collectives_check ok" || fail "the gradient sums on $ranks ranks differ from the rank-order sums"
    sensitive=$(echo "$out" | sed -n 's/^collectives_order_sensitive_values //p')
    [ "$ranks" -lt 3 ] || [ "${sensitive:-0}" -gt 0 ] || fail "the collectives check's values do not depend on the order of the sum on $ranks ranks"
done
z1=""
for ranks in 1 2 4; do
  for mode in "" --no-remap; do
    out=$(timeout 600 mpirun -np "$ranks" "$BENCH" sharded --qubits 14 --gates 300 --seed 7 --threads 1 --gradient-layers 2 $mode)
    echo "== sharded statevector, mpirun -np $ranks $mode:"
    echo "$out" | grep -E "binding|cpus_per_rank|local_qubits|exchanges|seconds|diff"
    diff=$(echo "$out" | sed -n 's/^sharded_max_amplitude_diff //p')
    gdiff=$(echo "$out" | sed -n 's/^sharded_gradient_max_diff //p')
    z=$(echo "$out" | sed -n 's/^sharded_expval_z //p')
    awk -v d="$diff" 'BEGIN { exit !(d != "" && d + 0 < 1e-12) }' \
        || { echo "MISMATCH: the state sharded over $ranks ranks $mode differs from the unsharded one by '$diff'"; exit 1; }
    awk -v d="$gdiff" 'BEGIN { exit !(d != "" && d + 0 < 1e-10) }' \
        || { echo "MISMATCH: the sharded adjoint gradient on $ranks ranks differs from the single-process one by '$gdiff'"; exit 1; }
    [ -n "$z1" ] || z1=$z
    awk -v a="$z1" -v b="$z" 'BEGIN { n = split(a, x, ","); m = split(b, y, ","); if (n != m || n == 0) exit 1
        for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-12) exit 1 } }' \
        || { echo "MISMATCH: <Z_i> on $ranks ranks: $z vs 1 rank: $z1"; exit 1; }
  done
done
echo "sharded statevector: 1, 2 and 4 ranks equal the unsharded state (amplitudes and <Z_i> within 1e-12, remapped and not) and the single-process adjoint gradient (within 1e-10)"

# The process grid (statevectorRanks): HQNN circuits of 6 qubits sharded over the ranks of a state
# group while the data-parallel allreduce runs across groups. statevectorRanks auto under a budget
# that only 2 ranks per state meet (2 states x 2^6/2 amplitudes x 16 B x 2 for exchange buffers =
# 2048 B). Sharding changes only where amplitudes live, so 1 rank and 1 group of 2 must agree to
# 1e-6, and 2 groups of 2 (-np 4) with 2 groups holding whole states (-np 2, statevectorRanks 1).
grid_config() {  # name ranks-setting [model lines, default the 6-qubit HQNN]
    local model=${3:-$'quanType: HQNN\nnQubits: 6\nnQuantumLayers: 1'}
    cat > "$work/grid-$1.yaml" <<YAML
modelType: Quantum
$model
trainData:
  demo: "builtin:small"
valSize: 0.5
testSize: 0.5
batchSize: 32
imageHeight: 16
imageWidth: 16
numEpochs: 1
optimizer: sgd
learningRate: 0.0005
augment: []
nCPUs: 1
$2
dataPath: $work/grid-data
outputsPath: $work/grid-$1
YAML
}
grid_config one ""
grid_config shared $'statevectorRanks: auto\nstatevectorMemoryMB: 0.002048'
grid_config groups ""
grid_config grid $'statevectorRanks: auto\nstatevectorMemoryMB: 0.002048'
"$BIN" prepare -c "$work/grid-one.yaml" -o >/dev/null
for run in one:1 shared:2 groups:2 grid:4; do
    name=${run%%:*}; np=${run##*:}
    echo "== process grid, mpirun -np $np ($name)"
    timeout 600 mpirun -np "$np" "$BIN" -c "$work/grid-$name.yaml" -o | grep -E "process grid|epoch [0-9]+/"
done
grep -q "1 data-parallel group(s) x 2 rank(s) per statevector" "$work"/grid-shared/*/run.log \
    || { echo "MISMATCH: -np 2 with statevectorRanks auto did not shard over 2 ranks"; exit 1; }
grep -q "2 data-parallel group(s) x 2 rank(s) per statevector" "$work"/grid-grid/*/run.log \
    || { echo "MISMATCH: -np 4 with statevectorRanks auto did not make 2 groups of 2"; exit 1; }
grep -q '"exchanges_per_step" : [1-9]' "$work"/grid-grid/*/quantum_resources.json \
    || { echo "MISMATCH: quantum_resources.json of the sharded run counts no exchanges"; exit 1; }
same_losses() {  # reference run, compared run: train_loss (2nd) and val_loss (4th column) within 1e-6
    paste -d, "$(ls "$work"/grid-$1/*/epochs.csv)" "$(ls "$work"/grid-$2/*/epochs.csv)" | awk -F, -v cols=13 -v what="$2 vs $1" '
        NR == 1 { next }
        { for (c = 2; c <= 4; c += 2) { d = $c - $(c + cols); if (d < 0) d = -d
              if (d > 1e-6) { printf "MISMATCH %s epoch %s column %d: %s vs %s\n", what, $1, c, $c, $(c + cols); bad = 1 } } }
        END { if (bad) exit 1; print "process grid: " what " agree (training and validation loss within 1e-6)" }'
}
same_losses one shared
same_losses groups grid

# The trainable QNN on the process grid: a 4-qubit patch state (16 amplitudes) is too small to
# split, so the ranks of a state group split the quanvolution's patch circuits instead (each rank
# simulates whole states of 1/k of them, adjoint gradients) and allgather the features / allreduce
# the weight gradients over the group. 1 rank and 1 group of 2 must agree to 1e-6, and 2 groups of
# 2 (-np 4) with 2 groups of 1 (-np 2); the records say the patches were split and no state was.
qnn=$'quanType: QNN\ntrainable: true\ndiffType: adjoint'
grid_config qnn-one "" "$qnn"
grid_config qnn-shared "statevectorRanks: 2" "$qnn"
grid_config qnn-groups "" "$qnn"
grid_config qnn-grid "statevectorRanks: 2" "$qnn"
for run in qnn-one:1 qnn-shared:2 qnn-groups:2 qnn-grid:4; do
    name=${run%%:*}; np=${run##*:}
    echo "== process grid, trainable QNN, mpirun -np $np ($name)"
    timeout 600 mpirun -np "$np" "$BIN" -c "$work/grid-$name.yaml" -o | grep -E "process grid|epoch [0-9]+/"
done
grep -q "1 data-parallel group(s) x 2 rank(s) sharing the patch circuits" "$work"/grid-qnn-shared/*/run.log \
    || { echo "MISMATCH: -np 2 with statevectorRanks 2 did not share the QNN patches over 2 ranks"; exit 1; }
grep -q "2 data-parallel group(s) x 2 rank(s) sharing the patch circuits" "$work"/grid-qnn-grid/*/run.log \
    || { echo "MISMATCH: -np 4 with statevectorRanks 2 did not make 2 groups of 2 sharing the QNN patches"; exit 1; }
grep -q '"ranks_sharing_circuits" : 2' "$work"/grid-qnn-grid/*/quantum_resources.json \
    && grep -q '"ranks_per_state" : 1' "$work"/grid-qnn-grid/*/quantum_resources.json \
    || { echo "MISMATCH: quantum_resources.json of the shared QNN run does not say 2 ranks shared the circuits on whole states"; exit 1; }
same_losses qnn-one qnn-shared
same_losses qnn-groups qnn-grid
