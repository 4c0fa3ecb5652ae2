# drydock's own image. Build: docker build -t drydock .
# It talks to the Docker engine through a mounted socket; see the README's
# "Running drydock in a container" for the docker run line.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native addon with node-gyp when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# Extra certificate authorities, for builds behind a proxy that intercepts TLS.
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
# node-gyp compiles against the image's own headers instead of downloading them.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
# git fetches the sources; drydock needs no Docker client, only the engine's socket.
# A repository mounted from the host belongs to another uid, which git refuses
# by default as "dubious ownership"; this container only ever reads its own inputs.
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && update-ca-certificates \
  && git config --system --add safe.directory '*' \
  && mkdir -p /var/lib/drydock \
  && chown node:node /var/lib/drydock
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY commands ./commands

ENV NODE_ENV=production \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    DRYDOCK_STATE_DIR=/var/lib/drydock \
    DRYDOCK_LOG_LEVEL=info
# The uid of the official node image's user. The socket's group must be
# added at run time (docker run --group-add), since its id differs per host.
USER node
VOLUME /var/lib/drydock
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/drydock.js"]
CMD ["bot"]
