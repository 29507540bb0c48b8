#!/usr/bin/env bash
# An error on one MPI rank ends every rank, with that rank's message and a non-zero exit, instead
# of leaving the others blocked in the next collective: real mpirun, the real binary, 2 ranks,
# rank 1 made to fail on purpose (test hook DEEPFAKE_TEST_FAIL=RANK:PHASE, read only by
# Sources/Training/FaultInjection.swift) after loading the data, in the first training step and
# before writing the first checkpoint; also rank 0 failing in the first step. Every run is under
# `timeout`, so a hang fails the check (exit 124) instead of hanging CI.
#   scripts/mpi-failure-check.sh [DEEPFAKE_BINARY]     (default .build/release/deepfake)
set -euo pipefail
source "$(dirname "$0")/check-lib.sh"
start_mpi_check "${1:-}"
small_classic_config "$work/data" "$work/results" "numEpochs: 1" > "$work/config.yaml"
"$BIN" prepare -c "$work/config.yaml" -o >/dev/null   # the data cache, before the ranks read it
for fault in 1:data 1:step 1:write 0:step; do
    echo "== mpirun -np 2 with DEEPFAKE_TEST_FAIL=$fault"
    set +e
    timeout 180 mpirun -np 2 -x DEEPFAKE_TEST_FAIL="$fault" "$BIN" -c "$work/config.yaml" -o > "$work/out" 2>&1
    rc=$?
    set -e
    tail -n 4 "$work/out"
    [ "$rc" -ne 124 ] || fail "$fault: the job hung (killed by timeout after 180 s)"
    [ "$rc" -ne 0 ] || fail "$fault: mpirun exited 0 after a rank failed"
    rank=${fault%%:*} phase=${fault#*:}
    grep -q "rank $rank: error: injected failure on rank $rank in $phase" "$work/out" \
        || fail "$fault: the failing rank's message is not in the output"
    # The failed run's folder says so (rank 0 writes status.json; it records its own error or, when
    # rank 1 failed, is killed by the abort while still "running": either way never "done").
    status=$(ls -t "$work"/results/*/status.json | head -1)
    ! grep -q '"state" : "done"' "$status" || fail "$fault: $status says done"
    echo "ok: $fault ended every rank (exit $rc) with the rank's message"
done
echo "mpi failure check passed: an error on one rank ends the job (MPI_Abort), never a hang"
