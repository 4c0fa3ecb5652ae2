#!/usr/bin/env bash
# Seed the base images that TVM's CI Dockerfiles name, for an engine that
# cannot pull from any registry.
#
#   examples/tvm/seed-base-images.sh TVM_REPO
#
# TVM_REPO is a clone of apache/tvm (bare or with a work tree). The script
# reads every docker/Dockerfile.ci_* at its HEAD and then:
#   1. makes one Debian bookworm with debootstrap (minbase) and imports it as
#      drydock-example/debian:bookworm, unless that image exists already;
#   2. tags that Debian as every image a FROM line names (ubuntu:24.04,
#      nvidia/cuda:...-ubuntu24.04 and so on). A CUDA or other
#      architecture-specific base gets the same plain Debian: no CUDA inside;
#   3. builds a stand-in for every image a `COPY --from=<image>` line names
#      (such as the uv image), holding each copied path as a script that
#      prints why it is a stand-in and exits 1.
# Running it again skips what exists. It needs root (debootstrap), docker,
# and Debian's package archive.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 TVM_REPO   (a clone of apache/tvm, bare or not)" >&2
  exit 2
fi
repo=$1
if ! git -C "$repo" rev-parse --verify --quiet HEAD >/dev/null; then
  echo "error: $repo is not a git repository with a HEAD commit; pass a clone of apache/tvm" >&2
  exit 2
fi

debian=drydock-example/debian:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

dockerfiles=$(git -C "$repo" ls-tree --name-only HEAD docker/ | grep '^docker/Dockerfile\.ci_' || true)
if [[ -z $dockerfiles ]]; then
  echo "error: no docker/Dockerfile.ci_* at HEAD of $repo" >&2
  exit 1
fi

# Every FROM image, without stage names, scratch or --platform flags, and
# every COPY --from source that is an image rather than an earlier stage.
from_images=()
copy_from_lines=()
for file in $dockerfiles; do
  content=$(git -C "$repo" show "HEAD:$file")
  stages=$(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if (toupper($i) == "AS") print $(i + 1) }' <<<"$content")
  while read -r image; do
    [[ -z $image || $image == scratch ]] && continue
    grep -qxF "$image" <<<"$stages" && continue
    from_images+=("$image")
  done < <(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; break } }' <<<"$content")
  while read -r line; do
    [[ -z $line ]] && continue
    source_image=$(sed -E 's/.*--from=([^ ]+).*/\1/' <<<"$line")
    # An earlier stage is named without ":" or "/", or by its index.
    [[ $source_image == *:* || $source_image == */* ]] || continue
    copy_from_lines+=("$line")
  done < <(grep -E '^[[:space:]]*COPY[[:space:]].*--from=' <<<"$content" || true)
done

if image_exists "$debian"; then
  echo "Debian base $debian exists; not running debootstrap"
else
  root=$(mktemp -d /tmp/drydock-debian.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "running debootstrap --variant=minbase bookworm $root $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
    echo "error: debootstrap failed; see $root.log" >&2
    exit 1
  }
  echo "importing $root as $debian"
  tar -C "$root" -c . | docker import - "$debian" >/dev/null
  rm -f "$root.log"
fi

for image in $(printf '%s\n' "${from_images[@]}" | sort -u); do
  if image_exists "$image"; then
    echo "base $image exists; leaving it"
  else
    echo "tagging $debian as base $image"
    docker tag "$debian" "$image"
  fi
done

# Stand-ins for COPY --from images: each copied path becomes a failing script.
declare -A stand_in_paths=()
for line in "${copy_from_lines[@]}"; do
  source_image=$(sed -E 's/.*--from=([^ ]+).*/\1/' <<<"$line")
  # The words after the flags are the sources, then the destination.
  read -r -a words <<<"$(sed -E 's/^[[:space:]]*COPY[[:space:]]+//; s/--[a-z-]+=[^ ]+//g' <<<"$line")"
  unset 'words[${#words[@]}-1]'
  stand_in_paths[$source_image]="${stand_in_paths[$source_image]:-} ${words[*]}"
done
for source_image in "${!stand_in_paths[@]}"; do
  if image_exists "$source_image"; then
    echo "COPY --from image $source_image exists; leaving it"
    continue
  fi
  paths=$(tr ' ' '\n' <<<"${stand_in_paths[$source_image]}" | grep -v '^$' | sort -u | tr '\n' ' ')
  echo "building stand-in $source_image with failing scripts at: $paths"
  context=$(mktemp -d /tmp/drydock-stand-in.XXXXXX)
  {
    echo "FROM $debian"
    for file in $paths; do
      printf 'RUN mkdir -p "$(dirname %s)" && printf %s > %s && chmod 755 %s\n' \
        "$file" "'#!/bin/sh\\necho \"$file is a stand-in: $source_image could not be pulled when the base images were seeded\" >&2\\nexit 1\\n'" "$file" "$file"
    done
  } >"$context/Dockerfile"
  if ! docker build --quiet --network none -t "$source_image" "$context" >"$context.log" 2>&1; then
    cat "$context.log" >&2
    echo "error: building the stand-in $source_image failed" >&2
    exit 1
  fi
  rm -rf "$context" "$context.log"
done

echo "base images ready:"
for image in $(printf '%s\n' "${from_images[@]}" "${!stand_in_paths[@]}" | sort -u); do
  echo "  $image $(docker image inspect --format '{{.Id}}' "$image" | cut -c8-19)"
done
