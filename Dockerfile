# syntax=docker/dockerfile:1
# Gatehouse container image. The build steps live in scripts/build-image.sh, which a test runs outside
# Docker (test/chart/image-build.test.ts), so this recipe is exercised without a Docker engine.
#
#   docker build -t gatehouse:dev .
#   docker run --read-only --tmpfs /tmp -v gatehouse-data:/var/lib/gatehouse \
#     -v "$PWD/gatehouse.yaml:/etc/gatehouse/gatehouse.yaml:ro" -p 4180:4180 -p 4181:4181 gatehouse:dev
#
# with storage.sqlite.path: /var/lib/gatehouse/gatehouse.db in gatehouse.yaml (the default ./data is under the
# read-only /app). The Helm chart sets that path and mounts the volumes itself.
#
# Both stages use the same base, so the native addon built in the first runs in the second (same Node ABI).
ARG NODE_VERSION=22
ARG BASE=node:${NODE_VERSION}-bookworm-slim

FROM ${BASE} AS build
# The toolchain node-gyp needs to compile better-sqlite3; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Compile against the headers shipped in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false
WORKDIR /src
COPY scripts/build-image.sh scripts/build-image.sh
COPY package.json package-lock.json ./
# Production dependencies first: this layer changes only with the lockfile.
RUN scripts/build-image.sh deps /src /out
COPY tsconfig.json ./
COPY bin bin
COPY src src
RUN scripts/build-image.sh compile /src && scripts/build-image.sh app /src /out

FROM ${BASE}
LABEL org.opencontainers.image.title="gatehouse" \
      org.opencontainers.image.description="Reverse-proxy authentication sidecar" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
WORKDIR /app
# The application is owned by root and read-only to the user that runs it.
COPY --from=build /out /app
# The only writable paths: the SQLite data directory and /tmp. With a read-only root filesystem both must be
# volumes (the chart mounts an emptyDir or a PersistentVolumeClaim on each).
RUN mkdir -p /etc/gatehouse /var/lib/gatehouse \
 && chown 1000:1000 /var/lib/gatehouse \
 && chmod 0750 /var/lib/gatehouse
# Numeric uid:gid (the base image's "node" user) so that runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000
# 4180: the proxy (what a Service points at). 4181: admin (/metrics, /healthz, /readyz).
EXPOSE 4180 4181
# No init process needed: Node is PID 1 and Gatehouse handles SIGTERM (drain, then exit 0) itself.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4181/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/gatehouse.js"]
CMD ["serve", "--config", "/etc/gatehouse/gatehouse.yaml"]
