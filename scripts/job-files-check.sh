#!/usr/bin/env bash
# Checks the job files that launch the image (called by scripts/container-test.sh, which has built
# IMAGE and saved it as the OCI archive ARCHIVE):
#   1. slurm/train.sh outside Slurm with stub `srun` and `apptainer` first on PATH: they record
#      their argv, and the apptainer stub runs the command in IMAGE with podman (as `apptainer
#      exec` would), so the check sees the launch line and the image's deepfake reading the config;
#   2. kueue/*.yaml against the Kubernetes schemas (kubernetes-validate from PyPI, strict, in the
#      caller's venv) and scripts/kueue-check.py (queue label, mounts match the image's volumes).
# Usage: job-files-check.sh IMAGE ARCHIVE   (CONTAINERS_CONF and CONTAINER_TEST_VENV come from the caller)
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:?usage: job-files-check.sh IMAGE ARCHIVE}
ARCHIVE=${2:?usage: job-files-check.sh IMAGE ARCHIVE}
K8S_VERSION=1.30.0
fail() { echo "job-files-check: FAILED: $*" >&2; exit 1; }
repo=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. slurm/train.sh's launch line.
mkdir -p "$tmp/bin" "$tmp/submit" "$tmp/rec"
cat > "$tmp/bin/srun" <<'STUB'
#!/usr/bin/env bash
# stub srun: records its argv, then runs the command after its options (one task).
printf '%s\n' "$@" > "$REC/srun.args"
while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do shift; done
exec "$@"
STUB
cat > "$tmp/bin/apptainer" <<'STUB'
#!/usr/bin/env bash
# stub apptainer: records its argv; `exec [--bind P] IMAGE CMD ARGS` runs CMD in $PODMAN_IMAGE with
# the current folder bound, as Apptainer binds it by default.
printf '%s\n' "$@" > "$REC/apptainer.args"
[ "$1" = exec ] || exit 64
shift
binds=()
while [ "${1#--}" != "$1" ]; do
    [ "$1" = --bind ] && { binds+=(-v "$2:$2"); shift; }
    shift
done
[ -f "$1" ] || { echo "apptainer stub: image $1 not found" >&2; exit 65; }
cmd=$2
shift 2
exec podman --runtime runc --cgroup-manager cgroupfs run --rm --network none --user "$(id -u):$(id -g)" \
    -v "$PWD:$PWD" -w "$PWD" "${binds[@]}" --entrypoint "/usr/local/bin/$cmd" "$PODMAN_IMAGE" "$@"
STUB
chmod +x "$tmp/bin/srun" "$tmp/bin/apptainer"
mkdir -p "$tmp/bound"
printf 'modelType: Classic\nkagglePath: %s\ntestSize: 0.5\ntrainData:\n  name: nobody/no-such-set\n' "$tmp/bound" > "$tmp/submit/missing.yaml"

status=0
(cd "$tmp/submit" && REC=$tmp/rec PODMAN_IMAGE=$IMAGE SLURM_SUBMIT_DIR=$tmp/submit DEEPFAKE_IMAGE=$ARCHIVE \
    DEEPFAKE_BIND=$tmp/bound PATH=$tmp/bin:$PATH bash "$repo/slurm/train.sh" missing.yaml -r) \
    >"$tmp/job.out" 2>&1 || status=$?
# train.sh records the run folder of a new job (for its resume after a requeue): outside Slurm
# under the job id "interactive" in the submit folder.
want_srun=(--mpi=pmix apptainer exec --bind "$tmp/bound" "$ARCHIVE" deepfake -c missing.yaml
           --job-record "$tmp/submit/.deepfake-jobs/interactive" -o -r)
[ "$(cat "$tmp/rec/srun.args" 2>/dev/null)" = "$(printf '%s\n' "${want_srun[@]}")" ] \
    || { cat "$tmp/job.out"; fail "srun ran '$(tr '\n' ' ' < "$tmp/rec/srun.args" 2>/dev/null)', expected '${want_srun[*]}'"; }
[ "$(cat "$tmp/rec/apptainer.args")" = "$(printf '%s\n' "${want_srun[@]:2}")" ] || fail "apptainer got other arguments than srun passed on"
# The config names a dataset that is not in the bound Kaggle cache: the image's deepfake must
# have read it (through the bound folders) and failed offline, naming the path it looked in.
[ "$status" != 0 ] || fail "train.sh with a missing dataset succeeded"
grep -q "is not in the kagglehub cache: looked for any version under $tmp/bound/datasets/nobody/no-such-set" "$tmp/job.out" \
    || { cat "$tmp/job.out"; fail "the containerised deepfake did not report the missing dataset"; }
# A missing image is a clear error before srun.
rm -f "$tmp/rec/srun.args"
if (cd "$tmp/submit" && REC=$tmp/rec SLURM_SUBMIT_DIR=$tmp/submit DEEPFAKE_IMAGE=$tmp/none.sif PATH=$tmp/bin:$PATH \
        bash "$repo/slurm/train.sh" missing.yaml) >"$tmp/none.out" 2>&1; then fail "train.sh ran without its image"; fi
grep -q "DEEPFAKE_IMAGE=$tmp/none.sif is not a file" "$tmp/none.out" && [ ! -e "$tmp/rec/srun.args" ] \
    || fail "a missing DEEPFAKE_IMAGE did not stop train.sh with a clear error: $(cat "$tmp/none.out")"
echo "job-files-check: slurm/train.sh launches: srun ${want_srun[*]}"

# 2. kueue/ against the Kubernetes schema, and against the image.
venv=${CONTAINER_TEST_VENV:?the venv with kubernetes-validate that scripts/container-test.sh makes}
"$venv/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" kueue/*.yaml || fail "kueue/ does not validate against Kubernetes $K8S_VERSION"
# The validator must reject a misspelt field (so a pass above means something).
sed 's/^          resources:/          resource:/' kueue/train-job.yaml > "$tmp/bad-job.yaml"
if "$venv/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$tmp/bad-job.yaml" >/dev/null 2>&1; then
    fail "kubernetes-validate accepted a Job with a misspelt field"
fi
"$venv/bin/python" scripts/kueue-check.py Dockerfile kueue/storage.yaml kueue/*-job.yaml

# 3. The users' GitLab pipeline (not run here): valid YAML, every job in a declared stage, and the
# same hadolint gate as this project's tests.
"$venv/bin/python" - containers/gitlab-ci.yml <<'PY' || fail "containers/gitlab-ci.yml is not consistent (above)"
import sys, yaml
ci = yaml.safe_load(open(sys.argv[1]))
stages = ci["stages"]
jobs = {k: v for k, v in ci.items() if isinstance(v, dict) and "script" in v}
bad = [k for k, v in jobs.items() if v.get("stage") not in stages]
assert not bad, f"jobs in undeclared stages: {bad}"
assert "hadolint --failure-threshold error Dockerfile" in jobs["hadolint"]["script"], "hadolint job differs from the test's lint"
assert any("trivy image" in line for line in jobs["trivy"]["script"]), "no Trivy scan"
assert any("docker push" in line for line in jobs["release"]["script"]), "no push on tags"
print(f"job-files-check: {sys.argv[1]}: {len(jobs)} jobs in stages {stages}")
PY
