# smsim in a container: `docker build -t smsim . && docker run -p 8800:8800 smsim`.
#
# The final image holds one statically linked binary and nothing else (FROM scratch). It comes
# from one of two places:
# - built from source in the official Rust image (the default): `docker build -t smsim .`
# - a static binary built outside, e.g. offline in CI (BuildKit then skips the Rust image):
#     RUSTFLAGS="-C target-feature=+crt-static" \
#       cargo build --release --locked --target x86_64-unknown-linux-gnu -p smsim
#     DOCKER_BUILDKIT=1 docker build --build-arg SOURCE=local -t smsim .
#   (BINARY=path/to/smsim names another binary inside the build context.)

ARG SOURCE=build

# Build: statically linked, so the final stage needs no C library.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu -p smsim \
 && mkdir -p /out && cp target/x86_64-unknown-linux-gnu/release/smsim /out/smsim

FROM scratch AS binary-build
COPY --from=build /out/smsim /smsim

FROM scratch AS binary-local
ARG BINARY=target/x86_64-unknown-linux-gnu/release/smsim
COPY ${BINARY} /smsim

FROM binary-${SOURCE} AS binary

FROM scratch
COPY --from=binary /smsim /smsim
# Listens on every address inside the container (the port is published by `docker run -p`);
# the admin API still answers only to loopback names, IP addresses and SMSIM_ALLOWED_HOSTS.
ENV SMSIM_LISTEN=0.0.0.0:8800
EXPOSE 8800
# No shell and no user database in a scratch image: the user is given by number (nobody).
USER 65534:65534
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/smsim", "health"]
# docker stop sends SIGTERM: smsim stops within 5 s, letting in-flight requests and callbacks finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/smsim"]
CMD ["serve"]
