#!/usr/bin/env bash
# Makes sure a Debian machine has what drydock's tests (or, with --example,
# the bundled example) need: installs the missing Debian packages and starts
# a Docker engine when none answers. Everything it does, it prints.
set -euo pipefail

profile=test
[ "${1:-}" = "--example" ] && profile=example

declare -A package_for=(
  [dockerd]=docker.io
  [docker]=docker.io
  [busybox]=busybox-static
)
if [ "$profile" = test ]; then
  package_for+=([docker-registry]=docker-registry [debootstrap]=debootstrap [htpasswd]=apache2-utils [chromium]=chromium)
fi

missing=()
for command in "${!package_for[@]}"; do
  if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
    missing+=("${package_for[$command]}")
  fi
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "drydock: missing Debian packages: ${missing[*]}" >&2
    echo "drydock: install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "drydock: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$profile" = test ] && [ ! -d "$(dirname "$0")/../node_modules" ]; then
  echo "drydock: installing Node packages (npm ci)" >&2
  (cd "$(dirname "$0")/.." && npm ci --no-audit --no-fund >&2)
fi

if docker version >/dev/null 2>&1; then
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix:///var/run/docker.sock" ]; then
  echo "drydock: the Docker engine at DOCKER_HOST=$DOCKER_HOST does not respond; start it or unset DOCKER_HOST" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "drydock: no Docker engine responds at /var/run/docker.sock; start it (sudo systemctl start docker)" >&2
  exit 1
fi

# Without a private address range for docker0, the engine runs without a
# bridge; builds that need the network then use build.network: host.
log=/tmp/drydock-dockerd.log
echo "drydock: starting dockerd (--bridge=none --iptables=false), log in $log" >&2
nohup dockerd --host unix:///var/run/docker.sock --bridge=none --iptables=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "drydock: dockerd did not respond within 30 s; see $log" >&2
exit 1
