# syntax=docker/dockerfile:1
# checkov:skip=CKV_DOCKER_2:Kubernetes ignores HEALTHCHECK; liveness/readiness probes on /health and /ready are in infra/k8s.
# stewardd (with stewardctl) and steward-serve, from one Swift build.
# Build from the repository root:
#   docker build -f infra/docker/steward.Dockerfile --target stewardd      -t stewardd:<tag> .
#   docker build -f infra/docker/steward.Dockerfile --target steward-serve -t steward-serve:<tag> .
# Not built in CI here (no container engine); see infra/README.md.

ARG ORT_VERSION=1.32.0

# ONNX Runtime C headers: Debian 13's libonnxruntime-dev, unpacked only (its
# library needs a newer glibc). Same source as scripts/setup.sh.
FROM debian:trixie-slim AS ort-headers
WORKDIR /tmp/ort
RUN apt-get update \
 && apt-get download libonnxruntime-dev \
 && dpkg -x libonnxruntime-dev_*.deb x \
 && mkdir -p /out \
 && cp "$(dirname "$(find x -name onnxruntime_c_api.h | head -n1)")"/*.h /out/

# ONNX Runtime library: from the PyPI wheel, as scripts/setup.sh does.
FROM python:3.11-slim-bookworm AS ort-library
ARG ORT_VERSION
RUN pip download --no-cache-dir --no-deps --only-binary=:all: --dest /wheels "onnxruntime==${ORT_VERSION}" \
 && python -m zipfile -e /wheels/onnxruntime-${ORT_VERSION}-*.whl /x \
 && install -D -m 0755 /x/onnxruntime/capi/libonnxruntime.so.${ORT_VERSION} /out/libonnxruntime.so.${ORT_VERSION}

# Same Swift release and Debian release as the development machines.
FROM swift:6.3-bookworm AS build
ARG ORT_VERSION
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY --from=ort-headers /out/ /usr/local/include/onnxruntime/
COPY --from=ort-library /out/ /usr/local/lib/
RUN ln -sf libonnxruntime.so.${ORT_VERSION} /usr/local/lib/libonnxruntime.so.1 \
 && ln -sf libonnxruntime.so.1 /usr/local/lib/libonnxruntime.so \
 && ldconfig
WORKDIR /src
# SwiftPM checks every target's folder, test targets included.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product stewardd \
 && swift build -c release --static-swift-stdlib --product stewardctl \
 && swift build -c release --static-swift-stdlib --product steward-serve
# Resource bundles (the Schema target's migrations) must sit next to the
# executable that loads them.
RUN mkdir -p /out/stewardd /out/serve \
 && cp .build/release/stewardd .build/release/stewardctl /out/stewardd/ \
 && cp .build/release/steward-serve /out/serve/ \
 && for bundle in .build/release/*.resources; do cp -R "$bundle" /out/stewardd/; done \
 && ls -d /out/stewardd/*.resources

# Shared runtime: the C libraries the binaries link, CA certificates for
# HTTPS (GCS, the Kubernetes API), and an unprivileged user.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq5 libcurl4 libmicrohttpd12 libssl3 libstdc++6 zlib1g ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 steward \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin steward
WORKDIR /app

FROM runtime AS stewardd
COPY --from=build /out/stewardd/ /app/bin/
ENV PATH=/app/bin:$PATH \
    STEWARD_HTTP_PORT=8080
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["/app/bin/stewardd"]

FROM runtime AS steward-serve
ARG ORT_VERSION
COPY --from=ort-library /out/ /usr/local/lib/
RUN ln -sf libonnxruntime.so.${ORT_VERSION} /usr/local/lib/libonnxruntime.so.1 \
 && ln -sf libonnxruntime.so.1 /usr/local/lib/libonnxruntime.so \
 && ldconfig
COPY --from=build /out/serve/ /app/bin/
ENV STEWARD_SERVE_PORT=8080
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["/app/bin/steward-serve"]
