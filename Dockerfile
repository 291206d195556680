# edgemanage: one run per container start (Kubernetes CronJob). `docker run IMAGE -A mynet -n -v` is a
# dry run; `docker run IMAGE --help` prints the usage.
#
# BASE_IMAGE is a build argument so the image can be built offline from a local Node.js base
# (the tests build one with debootstrap; see test/image/build-base.sh).
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The runtime dependencies as locked and, of the development ones, only esbuild at the version
# package.json pins: the tests' tooling (TypeScript, the Kubernetes models, s3rver) is not installed,
# which halves the stage (about 5 s instead of 10).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error \
 && npm install --prefix /esbuild --no-audit --no-fund --ignore-scripts --loglevel=error "esbuild@$(node -p 'require("./package.json").devDependencies.esbuild')" \
 && ln -s /esbuild/node_modules/esbuild node_modules/esbuild
COPY tsconfig.json ./
COPY src ./src
# The CLI and its dependencies as one bundle, straight from the TypeScript sources (src/build/bundle.ts,
# run by Node 24 as it is): the image needs no node_modules. Type checking is the test suite's job.
RUN node src/build/bundle.ts

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
# named-checkzone (Debian's bind9-utils): every rendered zone is checked before it is written
# (zone_check: auto), so a zone bind would refuse is never published; dnssec-signzone and
# dnssec-verify sign and check zones (dnssec.enabled). delv and dig (bind9-dnsutils): check dnssec.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bind9-utils bind9-dnsutils >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
WORKDIR /app
COPY --from=build /src/dist/bundle ./dist/bundle
COPY package.json edgemanage.example.yaml ./
COPY templates ./templates
# The classic tools' names: the same program parses each one's own command line (README "Coming from edgemanage 3").
RUN chmod 0755 /app/dist/bundle/cli/main.js \
 && for t in edge_manage edge_query edge_conf check_edgemanage_integrity check_edgemanage_latency check_edgemanage_rotation; do \
      ln -s /app/dist/bundle/cli/main.js /usr/local/bin/$t; done
# Non-root; writes only to the zone volume (named_dir) and a tmp dir (lockfile), so the root file
# system can be read-only. Node handles SIGTERM itself (the CLI stops cleanly); no shell is involved.
USER 65532:65532
ENTRYPOINT ["node", "--max-semi-space-size=8", "--initial-old-space-size=64", "/app/dist/bundle/cli/main.js"]
