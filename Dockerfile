# syntax=docker/dockerfile:1
# One image for every townreports process: the `townreports` CLI (its
# subcommand picks the worker: scheduler, fetcher, parser, extractor,
# indexer, serve) and the per-worker binaries townreports-<worker>.
#
#   docker build -t townreports:dev .
#   docker run --rm townreports:dev --help
#
# Kubernetes manifests: deploy/ (they pass the subcommand as args).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds; the
# binaries are copied out of target/ in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        -p townreports -p townreports-scheduler -p townreports-fetcher \
        -p townreports-parser -p townreports-extractor -p townreports-indexer \
    && mkdir -p /out \
    && cp target/release/townreports \
          target/release/townreports-scheduler \
          target/release/townreports-fetcher \
          target/release/townreports-parser \
          target/release/townreports-extractor \
          target/release/townreports-indexer \
          /out/

FROM debian:bookworm-slim
# ca-certificates: the fetcher speaks HTTPS to township sites.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 townreports \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin townreports
COPY --from=build /out/ /usr/local/bin/
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /tmp
# 8080: `serve` (with LISTEN=0.0.0.0:8080); 9090: workers' METRICS_ADDR.
EXPOSE 8080 9090
ENTRYPOINT ["townreports"]
CMD ["--help"]
