#!/usr/bin/env bash
# Prints the interpreter of a venv with h5py and numpy from PyPI (default .venv-test), made on
# first use. `make test` hands it to the h5py interop tests as DEEPFAKE_PYTHON, so that they run
# in CI (whose python3 has no packages) instead of skipping; set, a missing h5py fails them.
set -euo pipefail
venv=${1:-$PWD/.venv-test}
if ! "$venv/bin/python" -c "import h5py, numpy" >/dev/null 2>&1; then
    echo "test-python: venv $venv with h5py and numpy (PyPI)" >&2
    python3 -m venv "$venv" >&2 || { echo "test-python: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install -q h5py numpy >&2 || { echo "test-python: pip install h5py numpy failed (is PyPI reachable?)" >&2; exit 1; }
fi
echo "$venv/bin/python"
