# syntax=docker/dockerfile:1
# Build: docker build -t mentorbot .
# Run:   docker run -e MENTORBOT__DISCORD__TOKEN=... -v mentorbot-data:/data -p 9090:9090 mentorbot
#
# .ci/container-check replays the build stage of this file without a container engine (every
# COPY laid out in a folder, every RUN run there, cargo offline and --locked) and lints it with
# hadolint; CI runs it, so a file the COPY lines miss shows up there.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when a manifest or Cargo.lock
# changes. The workspace names the stand-in (fake-discord, a dev-dependency the image never
# builds), so cargo needs its real manifest to resolve; a stub library stands in for its code.
COPY Cargo.toml Cargo.lock ./
COPY fake-discord/Cargo.toml fake-discord/Cargo.toml
RUN mkdir -p src fake-discord/src \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs fake-discord/src/lib.rs \
    && cargo build --release --locked --bin mentorbot \
    && rm -rf src target/release/.fingerprint/mentorbot-* target/release/deps/mentorbot-* target/release/deps/libmentorbot-*
COPY build.rs build.rs
COPY src src
COPY migrations migrations
COPY config config
RUN cargo build --release --locked --bin mentorbot

FROM debian:bookworm-slim AS runtime
# Versions are not pinned: Debian drops superseded versions from the archive, so a pinned
# ca-certificates or tzdata would break the build at the next security update, and these two
# should follow Debian's current data anyway.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 mentorbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin mentorbot \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /src/target/release/mentorbot /usr/local/bin/mentorbot
# A numeric user, so that the host and orchestrators (runAsNonRoot) can tell it is not root.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# The SQLite file lives on the volume; the token comes from the environment, never the image.
# /healthz and /metrics on port 9090 (set MENTORBOT__HTTP__ADDRESS= to turn them off).
ENV MENTORBOT__DATABASE__URL=sqlite:///data/mentorbot.db \
    MENTORBOT__HTTP__ADDRESS=0.0.0.0:9090 \
    RUST_LOG=info
EXPOSE 9090
# mentorbot stops gracefully on SIGTERM within 10 s (`docker stop` waits 10 s by default: use -t 15).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mentorbot"]
CMD ["run"]
