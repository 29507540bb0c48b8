# DeepfakeDetection image for Safe Havens (Docker, Podman) and, through containers/deepfake.def,
# Apptainer on Cirrus. Build stage: Swift on Debian 12, release build with the Swift standard
# library (and Foundation) linked statically. Runtime stage: Debian 12 slim with only the shared
# libraries the binary loads, a non-root user, no compilers, no network needed at run time.
#   docker build -t deepfake .        # public bases; see README "Containers"
# The base images are build args so that offline builders can map them to local images
# (scripts/container-test.sh does this with podman and a debootstrap-made Debian 12).
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The -dev packages scripts/install-deps.sh names (kept in step with it), plus make.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopenblas-dev libopenmpi-dev openmpi-bin libhdf5-dev libyaml-dev libpng-dev libjpeg-dev \
      pkg-config make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the Swift build reads, so that edits elsewhere (docs, job files) keep this layer cached.
# Tests/ is there because Package.swift declares the test targets (they are not built).
COPY Package.swift Makefile ./
COPY scripts/install-deps.sh scripts/
COPY Sources Sources
COPY Tests Tests
# Portable code by default (the image may run on any x86-64); pass
# --build-arg ARCHFLAGS="-Xswiftc -target-cpu -Xswiftc haswell" for AVX2/FMA nodes.
ARG ARCHFLAGS=""
# Only the deepfake product: the static Swift SDK has no XCTest, which the TestSupport target uses.
RUN make build ARCHFLAGS="${ARCHFLAGS}" BUILDFLAGS="--static-swift-stdlib --product deepfake" \
 && install -D -m 0755 .build/release/deepfake /out/deepfake \
 && ldd /out/deepfake

FROM ${RUNTIME_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Runtime libraries only: OpenBLAS, serial HDF5, Open MPI (and its launcher, for mpirun inside
# the image), libjpeg-turbo, libpng, libcurl (Foundation's URLSession, for downloads where a
# network exists) and CA certificates.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopenblas0-pthread libhdf5-103-1 libopenmpi3 openmpi-bin libjpeg62-turbo libpng16-16 \
      libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin deepfake \
 && mkdir -p /safe_data/deepfake /safe_outputs /scratch/data /scratch/kaggle \
 && chown deepfake:deepfake /safe_outputs /scratch /scratch/data /scratch/kaggle
COPY --from=build /out/deepfake /usr/local/bin/deepfake
COPY containers/entrypoint.sh /usr/local/bin/deepfake-entrypoint
COPY configs/container.yaml /etc/deepfake/config.yaml
# Several ranks or jobs may read one HDF5 cache on a shared filesystem; no per-rank backtraces.
ENV HDF5_USE_FILE_LOCKING=FALSE \
    SWIFT_BACKTRACE=enable=no \
    OPENBLAS_NUM_THREADS=2
# Data (read-only is fine), outputs, scratch (HDF5 data cache, Kaggle cache).
VOLUME ["/safe_data/deepfake", "/safe_outputs", "/scratch"]
USER 1000:1000
WORKDIR /safe_outputs
ENTRYPOINT ["/usr/local/bin/deepfake-entrypoint"]
CMD ["-c", "/etc/deepfake/config.yaml"]
