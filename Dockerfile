# Flow aggregation service. Build: docker build -t flowanalysis . ; run: docker compose up -d

# Compiles the TypeScript with the dev dependencies, which never reach the final image. `npm ci` applies
# patches/ to the dependencies (patch-package, a dev dependency, runs as postinstall).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Also copies the PostgreSQL schema next to the store's module in dist/.
RUN npm run build

# Production dependencies only: the patched tree of the build stage without its dev dependencies.
FROM build AS deps
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    COUNTS_FILE=/app/volumes/counts/counts.jsonl
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The counts file (and Kafka spool) directory must belong to the non-root user; a named volume
# mounted here starts with this ownership.
RUN mkdir -p /app/volumes/counts && chown -R node:node /app/volumes
USER node
EXPOSE 8080
# The slim image has no curl: Node's fetch asks the service itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
