# One Dockerfile for both services: --build-arg SERVICE=ingress or SERVICE=processor.
# Node 22, the major version the tests run on (.ci/run, package.json engines).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the image has its Node; the `node` dev dependency (for machines without Node 22) is not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared shared
COPY ingress ingress
COPY processor processor
# The processor's admin API runs the operations (ops/src), as the CLI does.
COPY ops ops
COPY cli cli
# The admin page (processor/admin-ui, copied with processor/) is bundled by esbuild into dist/admin-ui, which the
# final stage copies with the rest of dist/; the processor finds it from the package root (/app, package.json).
COPY scripts/build-admin.ts scripts/build-admin.ts
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG SERVICE
RUN test "$SERVICE" = ingress || test "$SERVICE" = processor || (echo "--build-arg SERVICE=ingress|processor" >&2; exit 1)
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    PORT=8080 \
    HOOKPIPE_SOURCES=config/sources.yaml \
    HOOKPIPE_HANDLERS=dist/processor/src/examples/handlers.js
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY config config
USER node
EXPOSE 8080
# exec: Node becomes PID 1 and receives Cloud Run's SIGTERM itself, so the services drain and flush.
ENTRYPOINT ["/bin/sh", "-c", "exec node dist/$SERVICE/src/main.js"]
