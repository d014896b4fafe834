# syntax=docker/dockerfile:1
# Build: docker build -t scimgate .
# Run:   docker run -p 8443:8443 -v /etc/scimgate:/etc/scimgate:ro -e ACME_PRODUCT_API_KEY=... scimgate
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
RUN cargo build --release --locked --bin scimgate && strip target/release/scimgate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin scimgate
COPY --from=build /src/target/release/scimgate /usr/local/bin/scimgate
COPY config/examples /usr/share/scimgate/examples
COPY config/example.toml /usr/share/scimgate/example.toml
USER 10001:10001
# Config and certificates are mounted, never baked in.
VOLUME ["/etc/scimgate"]
ENV SCIMGATE_CONFIG=/etc/scimgate/scimgate.toml
EXPOSE 8443
# The admin listener answers on loopback inside the container.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s CMD ["/usr/local/bin/scimgate", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/scimgate"]
CMD ["run"]
