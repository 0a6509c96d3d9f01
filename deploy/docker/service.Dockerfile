# syntax=docker/dockerfile:1.7
# One image for the four services and the migration tool (build context: the repository root):
#   docker build -f deploy/docker/service.Dockerfile -t audit-ledger:<git-sha> .
# Kubernetes picks the program with `command` (deploy/k8s); docker-compose with the SERVICE build arg.
#
# Why compiled JavaScript, not `node -r @swc-node/register main.ts` as in development: the runtime stage
# then installs production dependencies only (`npm ci --omit=dev`: no SWC, TypeScript, Nx, jest or Vite
# in the image), starts without a compiler, and writes nothing to disk, so it runs on a read-only root
# filesystem. deploy/docker/build-runtime.ts compiles with the same .swcrc the services run with in
# development and rewrites the @audit/* aliases; deploy/k8s/manifests.spec.ts checks that every require
# in its output resolves.
#
# Base image: Node 24 LTS, the same version as the devDependency `node` in package.json that development,
# the tests and CI run on (deploy/docker/node-version.spec.ts holds the two together). Pinned by exact
# version tag. No digest is pinned because none could be read from a source
# we trust from here; at release, resolve it once and pass it, so the build cannot drift:
#   docker buildx imagetools inspect node:24.20.0-trixie-slim   # -> Digest: sha256:…
#   docker build --build-arg NODE_IMAGE=node:24.20.0-trixie-slim@sha256:<digest> …
ARG NODE_IMAGE=node:24.20.0-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/package.json
# --ignore-scripts: the one install script package.json allows is the devDependency `node`'s, which
# fetches a Node binary this image already has.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json .swcrc ./
COPY libs ./libs
COPY apps ./apps
COPY tools ./tools
COPY deploy/docker/build-runtime.ts deploy/docker/build-runtime.ts
RUN node -r @swc-node/register deploy/docker/build-runtime.ts /out

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/package.json
# No production dependency needs an install script; skipping them keeps the step reproducible.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=ingest
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
WORKDIR /app
# Code and dependencies stay owned by root and are not writable by the service's user.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /out ./
COPY package.json ./
# A numeric UID/GID outside the base image's users, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 3001 3002 3003 3004
# Liveness only (/healthz); readiness (/readyz) depends on Kafka, Postgres and OpenSearch and is the
# orchestrator's business. Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=process.env.PORT||{ingest:3001,'approval-policy':3002,ledger:3003,query:3004}[process.env.SERVICE];fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node apps/${SERVICE}/src/main.js"]
