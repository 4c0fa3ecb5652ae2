#!/usr/bin/env bash
# Imports a tiny busybox image as drydock-test/busybox:1 (or the tag given as
# $1) into the engine at DOCKER_HOST, so example and test builds need no
# registry. Does nothing when the image is already there.
set -euo pipefail

tag="${1:-drydock-test/busybox:1}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi

busybox=$(command -v busybox || true)
if [ -z "$busybox" ]; then
  echo "busybox not found: install the busybox-static package" >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/usr/bin" "$root/var/log"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$tag" >/dev/null
echo "imported $tag" >&2
