# syntax=docker/dockerfile:1
# prep-publisher: the OPLE's service (signs cuts, pushes them, monitors difusores, dashboard).
# Build from the repository root:
#   docker build -f infra/docker/publisher.Dockerfile -t prepcast/publisher:0.1.0 .
# The builder stage is identical to receiver.Dockerfile's (infra/test checks it), so both images
# share its cached layers. The ROOT key never goes into this container: it stays offline.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- builder: compiles native addons (better-sqlite3, zstd-napi) and the TypeScript workspaces
FROM ${NODE_IMAGE} AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# The npm version the lockfile and its allowScripts list were written with (package.json "packageManager").
COPY package.json ./
RUN npm install -g "$(node -p 'require("./package.json").packageManager')"
# Dependencies first, from the manifests alone: this layer (native addons compiled, the slow part)
# is reused until the lockfile or a workspace's package.json changes (infra/test checks the list).
COPY package-lock.json ./
COPY proto/package.json proto/
COPY packages/cutgen/package.json packages/cutgen/
COPY packages/delta/package.json packages/delta/
COPY packages/protocol/package.json packages/protocol/
COPY packages/runtime/package.json packages/runtime/
COPY packages/session/package.json packages/session/
COPY packages/site/package.json packages/site/
COPY packages/testkit/package.json packages/testkit/
COPY packages/transport/package.json packages/transport/
COPY apps/publisher/package.json apps/publisher/
COPY apps/receiver/package.json apps/receiver/
COPY demo/package.json demo/
COPY e2e/package.json e2e/
COPY hardening/package.json hardening/
RUN npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev
# Keep only what runs: each workspace without its sources, tests and build configs. Patterns are
# anchored and `*` stops at `/`, so nothing inside a dependency's own folders is touched.
RUN mkdir -p /out \
 && cp -a package.json node_modules /out/ \
 && tar -cf - --anchored --no-wildcards-match-slash \
      --exclude='proto/src' --exclude='*/*/src' --exclude='*/*/test' --exclude='*/*/.turbo' \
      --exclude='*/*/tsconfig*.json' --exclude='*/*/jest.config.js' --exclude='proto/scripts' \
      proto packages apps | tar -xf - -C /out

# ---- runtime: node + openssl (for `init`'s TLS certificate) + tini, nothing else
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 prepcast \
 && useradd --system --uid 10001 --gid prepcast --home-dir /var/lib/prepcast-publisher --no-create-home \
      --shell /usr/sbin/nologin prepcast \
 && mkdir -p /etc/prepcast /var/lib/prepcast-publisher /var/spool/prepcast/inbox /var/log/prepcast \
 && chown prepcast:prepcast /etc/prepcast /var/lib/prepcast-publisher /var/spool/prepcast/inbox /var/log/prepcast \
 && chmod 0700 /etc/prepcast /var/lib/prepcast-publisher \
 && chmod 0750 /var/spool/prepcast/inbox /var/log/prepcast \
 && ln -s /app/apps/publisher/bin/prep-publisher.js /usr/local/bin/prep-publisher \
 && ln -s /app/apps/receiver/bin/prep-receiver.js /usr/local/bin/prep-receiver
COPY --from=builder /out /app
# two malloc arenas instead of one per thread: a lower peak at the same speed (docs/benchmarks.md)
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PREPCAST_STATE=/var/lib/prepcast-publisher \
    PREPCAST_INBOX=/var/spool/prepcast/inbox \
    PREPCAST_HEALTH_URL=http://127.0.0.1:8740/readyz
# keys and config (mount read-only), state (audit.log, receipts, packages, delta cache), inbox of cuts
VOLUME ["/etc/prepcast", "/var/lib/prepcast-publisher", "/var/spool/prepcast/inbox", "/var/log/prepcast"]
# admin listener: dashboard, operator API, /livez /readyz /metrics. Publish it on the host's
# loopback only (-p 127.0.0.1:8740:8740) with PREPCAST_ADMIN_LISTEN=0.0.0.0:8740 inside.
EXPOSE 8740
USER prepcast:prepcast
WORKDIR /var/lib/prepcast-publisher
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.PREPCAST_HEALTH_URL,{signal:AbortSignal.timeout(3000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini as PID 1 forwards SIGTERM to node (graceful shutdown) and reaps zombies; no `--init` needed.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/apps/publisher/bin/prep-publisher.js"]
CMD ["run", "--config", "/etc/prepcast/publisher.yaml"]
