#!/usr/bin/env bash
# Makes a local stand-in for the official node:20-bookworm-slim image, for
# machines whose engine cannot pull from a registry: a debootstrap Debian
# bookworm with this machine's Node.js 20, its headers and npm copied in, and a "node"
# user (uid 1000) as in the official image. Does nothing when an image with
# that tag already exists. Needs root, debootstrap and Debian's archive.
set -euo pipefail

tag="${1:-node:20-bookworm-slim}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi

node_bin=$(command -v node)
case "$("$node_bin" --version)" in
  v20.*) ;;
  *) echo "seed-node-image: $node_bin is not Node.js 20; install Node.js 20 first" >&2; exit 1 ;;
esac
npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "seed-node-image: debootstrap bookworm (about 30 s and 200 MB)" >&2
debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}
install -D -m 0755 "$node_bin" "$work/rootfs/usr/local/bin/node"
# The headers, which node-gyp compiles native addons against, are where the official image keeps them.
headers=$(dirname "$(dirname "$(readlink -f "$node_bin")")")/include/node
if [ -d "$headers" ]; then
  mkdir -p "$work/rootfs/usr/local/include"
  cp -R "$headers" "$work/rootfs/usr/local/include/node"
fi
mkdir -p "$work/rootfs/usr/local/lib/node_modules"
cp -R "$(readlink -f "$npm_dir")" "$work/rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
chroot "$work/rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
tar -C "$work/rootfs" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["node"]' - "$tag" >/dev/null
echo "seed-node-image: imported $tag" >&2
