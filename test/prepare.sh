#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Node.js: the npm dev dependencies
# and the Debian packages of the real tools the tests drive (bind9, dig, openssl, buildah,
# debootstrap, unzip). Needs root (or sudo) only when a package is missing.
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
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
fi
