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

.PHONY: deps build demo test bench bench-report mpi-test slurm-test clean help

help:
	@echo "make demo        build and train the Classic model on the built-in data (configs/demo.yaml)"
	@echo "make test        build; mpirun 1-vs-2-rank check; Slurm job check; the whole test suite (swift test)"
	@echo "make build       release build of deepfake and bench"
	@echo "make bench       scaling studies into results/bench/*.h5, then a comparison table"
	@echo "make mpi-test    2-rank mpirun check: same training result as 1 rank"
	@echo "make slurm-test  start a local Slurm cluster and sbatch slurm/train.sh on the demo config"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release $(ARCHFLAGS)

demo: build
	$(RELEASE)/deepfake -c $(CONFIG) -o

# The MPI and Slurm checks run first so that swift test's summary is the last thing printed.
test: deps
	WITH_SLURM=1 scripts/install-deps.sh
	$(SWIFT) build --build-tests
	scripts/mpi-check.sh .build/debug/deepfake
	scripts/mpi-failure-check.sh .build/debug/deepfake
	scripts/slurm-check.sh .build/debug/deepfake
	$(if $(OPENBLAS_CORETYPE),,$(if $(BLASCORE),OPENBLAS_CORETYPE=$(BLASCORE))) $(SWIFT) test

bench: build
	$(RELEASE)/bench run --out results/bench
	$(RELEASE)/bench report results/bench

bench-report:
	$(RELEASE)/bench report results/bench

mpi-test: build
	scripts/mpi-check.sh

slurm-test: build
	WITH_SLURM=1 scripts/install-deps.sh
	scripts/slurm-check.sh

clean:
	rm -rf .build
