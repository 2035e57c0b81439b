# syntax=docker/dockerfile:1
# Build: docker build -t mentorbot .
# Run:   docker run -e MENTORBOT__DISCORD__TOKEN=... -v mentorbot-data:/data -p 9090:9090 mentorbot

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked --bin mentorbot \
    && rm -rf src target/release/.fingerprint/mentorbot-* target/release/deps/mentorbot-* target/release/deps/libmentorbot-*
# The same build command CI runs (.ci/run).
COPY build.rs build.rs
COPY src src
COPY migrations migrations
COPY config config
RUN cargo build --release --locked --bin mentorbot

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin mentorbot \
    && mkdir -p /data && chown mentorbot /data
COPY --from=build /src/target/release/mentorbot /usr/local/bin/mentorbot
USER mentorbot
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
