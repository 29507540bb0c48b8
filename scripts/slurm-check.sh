#!/usr/bin/env bash
# Submits slurm/train.sh to a real one-node Slurm cluster started here (scripts/slurm-cluster.sh)
# and checks that the 2-task MPI job trained and wrote its run folder; then submits the same
# training again, signals it mid-run with `scancel --signal=USR1 --batch` (what
# `--signal=B:USR1@N` does before a time limit; the limit itself is only checked about once a
# minute, too coarse for a test), and checks that the job checkpointed, requeued itself, resumed
# its run folder and finished with the same epochs.csv (timing columns aside) and test metrics
# as the uninterrupted job. Needs root (munge, daemons).
#   scripts/slurm-check.sh [DEEPFAKE_BINARY]    (default .build/release/deepfake)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/check-lib.sh
check_binary "${1:-}" "${DEEPFAKE_BIN:-}" .build/release/deepfake
need_slurm_as_root "the Slurm check"
work_folder_with_cluster slurm-check

eval "$(scripts/slurm-cluster.sh up "$work/cluster")"
config() {  # config OUTPUTS
    small_classic_config "$work/data" "$1" "numEpochs: 2" "learningRate: 0.001" "beta1: 0.9"
}
config "$work/results" > "$work/config.yaml"
config "$work/requeued" > "$work/config-requeued.yaml"
export DEEPFAKE_BIN="$BIN" DEEPFAKE_JOB_RECORDS="$work/jobs"
"$BIN" prepare -c "$work/config.yaml" -o >/dev/null    # the login-node step: data into the cache
sbatch --wait --output="$work/job-%j.out" slurm/train.sh "$work/config.yaml"
out=$(ls "$work"/job-*.out)
cat "$out"
grep -q "2 rank(s)" "$out" || fail "the job did not run 2 MPI ranks"
csv=$(ls "$work"/results/*/epochs.csv)
[ "$(wc -l < "$csv")" -eq 3 ] || fail "$csv should hold a header and 2 epochs"
[ -f "$(dirname "$csv")/test_metrics.json" ] || fail "no test_metrics.json"
echo "slurm check: sbatch slurm/train.sh ran 2 MPI ranks and wrote $(dirname "$csv")"

# The same training, signalled after its first epoch: checkpoint, requeue, resume, finish.
job=$(sbatch --parsable --output="$work/requeued-%j.out" slurm/train.sh "$work/config-requeued.yaml")
for _ in $(seq 1 1500); do
    log=$(ls "$work"/requeued/*/run.log 2>/dev/null | head -1 || true)
    [ -n "$log" ] && grep -q "epoch 1/2:" "$log" && break
    sleep 0.2
done
[ -n "$log" ] || { echo "FAILED: the second job never started training" >&2; cat "$work"/requeued-*.out >&2; exit 1; }
scancel --signal=USR1 --batch "$job"
state=""
released=""
for _ in $(seq 1 1500); do    # up to 300 s
    info=$(scontrol show job "$job" 2>/dev/null || true)
    state=$(grep -o 'JobState=[A-Z_]*' <<< "$info" | cut -d= -f2 || true)
    restarts=$(grep -o 'Restarts=[0-9]*' <<< "$info" | cut -d= -f2 || true)
    # Slurm makes a requeued job eligible only 2 minutes later (its begin time); a test need not
    # wait that out (if the update is refused the job still starts then, within the wait).
    # Not at once: slurmd refuses a credential made in the same second as the requeue revoked the
    # old one ("Job credential revoked", the job then ends FAILED), so wait 2 s of PENDING first.
    if [ "$state" = "PENDING" ] && [ "${restarts:-0}" -ge 1 ] && [ -z "$released" ]; then
        pending=$(( ${pending:-0} + 1 ))
        if [ "$pending" -ge 10 ]; then
            scontrol update JobId="$job" StartTime=now >/dev/null 2>&1 || true
            released=1
        fi
    fi
    # The end: COMPLETED after a restart; any other end state counts once it has held for 5 s.
    [ "$state" = "COMPLETED" ] && [ "${restarts:-0}" -ge 1 ] && break
    if [ "$state" = "COMPLETED" ] || [ "$state" = "FAILED" ]; then
        held=$(( ${held:-0} + 1 )); [ "$held" -ge 25 ] && break
    else
        held=0
    fi
    sleep 0.2
done
cat "$work"/requeued-*.out
run=$(dirname "$log")
if [ "$state" != "COMPLETED" ]; then
    echo "the controller's log of job $job:" >&2
    grep -iE "JobId=$job([^0-9]|$)|requeue" "$work/cluster/slurmctld.log" | tail -25 >&2 || true
    fail "requeued job $job ended $state (Restarts=${restarts:-0})"
fi
[ "${restarts:-0}" -ge 1 ] || fail "job $job was not requeued (Restarts=${restarts:-0})"
grep -q "resuming run folder: $run" "$run/run.log" || fail "the restarted job did not resume $run"
grep -q '"state" : "done"' "$run/status.json" || fail "$run/status.json does not say done"
# Same result: epochs.csv without epoch_seconds, images_per_second, peak_memory_mb; metrics without the weights path.
strip() { cut -d, -f1-9,13 "$1"; }
diff <(strip "$csv") <(strip "$run/epochs.csv") || fail "the requeued run's epochs.csv differs"
diff <(grep -v '"weights"' "$(dirname "$csv")/test_metrics.json") <(grep -v '"weights"' "$run/test_metrics.json") \
    || fail "the requeued run's test metrics differ"
echo "slurm check passed: job $job was signalled, checkpointed, requeued (Restarts=$restarts), resumed $run and matched the uninterrupted job"
