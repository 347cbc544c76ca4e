# Every stage starts from the same image: better-sqlite3 is a native module, compiled (or its prebuilt binary
# picked) in the builder for the exact Node.js and glibc the runtime stage runs.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- toolchain: what compiles native modules when no prebuilt binary fits ----------------------------------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp takes the headers that come with the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./

# ---- production dependencies only: what the runtime stage gets ---------------------------------------------
FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund

# ---- build: TypeScript to dist/, with the dev dependencies -------------------------------------------------
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: no compiler, no dev dependencies, not root ---------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_PATH=/data/calls.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
# Read at run time: the apology played when the model fails, the softphone page, the personas placed calls may
# name, and the tool modules with the sources they import (tsx compiles both when the server loads the tools).
COPY assets/apology.ulaw ./assets/
COPY public ./public
COPY personas ./personas
COPY tools ./tools
COPY src ./src
# The call database and recordings/ beside it.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# Alive, and not draining (503 once SIGTERM came). The slim image has no curl: Node's own fetch asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: no new calls, active ones go on for up to DRAIN_TIMEOUT_SECONDS. Give the container longer
# than that to stop (docker stop -t, compose stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
