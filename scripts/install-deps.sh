#!/usr/bin/env bash
# Installs (as root) or checks (otherwise) the system packages DeepfakeDetection builds against.
# Used by `make deps`, and so by `make demo`, `make test` and .ci/run on a fresh Debian 12 machine.
set -euo pipefail

PACKAGES=(libopenblas-dev libopenmpi-dev openmpi-bin libhdf5-dev libyaml-dev libpng-dev libjpeg-dev pkg-config)
# Slurm and munge are only needed by the job-script tests (`make slurm-test`).
if [ "${WITH_SLURM:-0}" = "1" ]; then PACKAGES+=(slurmctld slurmd slurm-client munge); fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "Swift is not on PATH: install Swift 6.x (https://swift.org/install) and retry." >&2
    exit 1
fi
