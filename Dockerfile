# syntax=docker/dockerfile:1
# One image for every churnwatch service; docker-compose.yml picks the entry point with `command`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV CI=true TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false
# The npm that wrote package-lock.json (package.json "packageManager").
ARG NPM_VERSION=11.19.1
RUN npm install -g npm@${NPM_VERSION}
COPY . .
RUN npm ci
RUN npx turbo run build
RUN npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
WORKDIR /app

COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/packages ./packages
COPY --from=build --chown=node:node /app/services ./services
# The console's built files, which the API serves at /app/ (ADR 0017).
COPY --from=build --chown=node:node /app/apps/console/dist ./apps/console/dist
USER node
CMD ["node", "services/api/dist/main.js"]
