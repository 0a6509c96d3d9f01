# syntax=docker/dockerfile:1.7
# One image definition for the four services; SERVICE picks which one runs. Multi-stage, non-root, pinned.
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/package.json
RUN npm ci --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE} HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json .swcrc ./
COPY libs ./libs
COPY apps ./apps
COPY tools ./tools
USER node
# Services run from TypeScript through SWC (decorator metadata preserved); no separate build artefact.
CMD ["sh", "-c", "exec node -r @swc-node/register apps/${SERVICE}/src/main.ts"]
