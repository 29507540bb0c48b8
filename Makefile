# DeepfakeDetection: one-command set-up, build, demo, tests and benchmarks.
# `make demo` and `make test` work on a fresh Debian 12 machine with Swift (as root they install
# the apt packages; otherwise they say exactly which are missing).

SWIFT      ?= swift
CONFIG     ?= configs/demo.yaml
RELEASE    := .build/release
# AVX2/FMA code generation where the CPU has it (the quantum kernels run ~3x faster per step);
# build on a node of the same CPU family as the compute nodes. Override with ARCHFLAGS= to disable.
ARCHFLAGS  ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo -Xswiftc -target-cpu -Xswiftc haswell)
# OpenBLAS 0.3.21 falls back to generic SSE3 kernels on CPUs it does not know (these Xeons). The
# executables re-exec themselves with a tuned OPENBLAS_CORETYPE (Sources/NN/BLAS.swift); the
# XCTest process cannot, so `make test` sets it: the suite's training tests run ~2.4x faster.
BLASCORE   ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo Haswell)
export SWIFT_BACKTRACE ?= enable=no
# Recorded in every bench result file by the bench targets (the binary keeps no trace of -target-cpu).
BENCHENV   := DEEPFAKE_BUILD_FLAGS="-c release $(ARCHFLAGS)"

.PHONY: deps build demo test bench bench-quick bench-report mpi-test slurm-test container-test clean help

help:
	@echo "make demo        build and train the Classic model on the built-in data (configs/demo.yaml)"
	@echo "make test        build; mpirun 1-vs-2-rank check; Slurm job check; container check; the whole test suite (swift test)"
	@echo "make build       release build of deepfake and bench"
	@echo "make bench       scaling studies (ranks, qubits, sharded, ...) into results/bench/*.h5, tables and plots"
	@echo "make bench-quick the same study shrunk to a few minutes (2 repeats)"
	@echo "make mpi-test    2-rank mpirun check: same training result as 1 rank"
	@echo "make slurm-test  start a local Slurm cluster and sbatch slurm/train.sh on the demo config"
	@echo "make container-test  podman build of the Dockerfile; demo run in it with --network none; job files"

deps:
	@scripts/install-deps.sh

# BUILDFLAGS: extra swift build flags (the Dockerfile's: --static-swift-stdlib --product deepfake).
BUILDFLAGS ?=
build: deps
	$(SWIFT) build -c release $(ARCHFLAGS) $(BUILDFLAGS)

demo: build
	$(RELEASE)/deepfake -c $(CONFIG) -o

# The MPI, Slurm and container checks run first so that swift test's summary is the last thing
# printed. The container check says SKIPPED (and why) where Podman cannot start a container.
# The checks and the unit tests run on one set of OpenBLAS kernels (BLASCORE), whatever a
# machine's CPU would pick: on an AVX-512 VM the executables' own choice (SkylakeX) made the
# 1-rank vs 2-rank training check differ by 1.5e-4 after two steps, with Haswell's it agrees.
TESTENV = $(if $(OPENBLAS_CORETYPE),,$(if $(BLASCORE),OPENBLAS_CORETYPE=$(BLASCORE)))

test: deps
	WITH_SLURM=1 scripts/install-deps.sh
	$(SWIFT) build --build-tests
	$(TESTENV) scripts/mpi-check.sh .build/debug/deepfake
	$(TESTENV) scripts/mpi-failure-check.sh .build/debug/deepfake
	$(TESTENV) scripts/slurm-check.sh .build/debug/deepfake
	$(TESTENV) scripts/slurm-bench-check.sh .build/debug/bench
	scripts/container-test.sh --if-podman-works
	py=$$(scripts/test-python.sh) && DEEPFAKE_PYTHON=$$py $(TESTENV) $(SWIFT) test

# BENCH_FLAGS: more `bench run` flags, e.g. BENCH_FLAGS="--suite ranks --ranks 1,2,4".
bench: build
	$(BENCHENV) $(RELEASE)/bench run --out results/bench $(BENCH_FLAGS)
	$(RELEASE)/bench report results/bench --plots results/bench/plots

bench-quick: build
	$(BENCHENV) $(RELEASE)/bench run --quick --out results/bench-quick $(BENCH_FLAGS)
	$(RELEASE)/bench report results/bench-quick --plots results/bench-quick/plots

bench-report:
	$(RELEASE)/bench report results/bench --plots results/bench/plots

mpi-test: build
	scripts/mpi-check.sh

slurm-test: build
	WITH_SLURM=1 scripts/install-deps.sh
	scripts/slurm-check.sh

# Builds the Dockerfile with Podman (local debootstrap bases; no registry needed) and runs the
# image as a Safe Haven would; see scripts/container-test.sh.
container-test:
	scripts/container-test.sh

clean:
	rm -rf .build
