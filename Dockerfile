# Build stage: the release binary, with migrations and templates compiled in.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
RUN cargo build --release --locked

# Run stage: the binary alone on a small base. Guild links no C libraries beyond libc.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/guild --create-home guild
COPY --from=build /src/target/release/guild /usr/local/bin/guild
USER guild
WORKDIR /var/lib/guild
ENV GUILD_BIND=0.0.0.0:8080 \
    GUILD_DATA_DIR=/var/lib/guild
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["guild", "healthcheck"]
ENTRYPOINT ["guild"]
CMD ["serve"]
