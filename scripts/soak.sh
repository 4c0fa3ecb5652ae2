#!/usr/bin/env bash
# Runs the full soak: 200 simulated nightly runs of three busybox images
# through drydock's scheduler, pipeline, triage, GitHub filing and Discord
# outbox, against the local Docker engine and loopback fakes of Discord and
# GitHub, with faults injected at random. Prints the figures and exits 1
# when a check fails. The short form runs in npm test (test/soak.test.ts).
#
#   bash scripts/soak.sh [--nights N] [--seed N] [--minutes N]
#
# No night starts after --minutes (default 60), and the whole script is
# killed after that plus 10 minutes, so it always stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=60
args=("$@")
for ((index = 0; index < ${#args[@]}; index++)); do
  if [ "${args[$index]}" = "--minutes" ] && [ $((index + 1)) -lt ${#args[@]} ]; then
    minutes="${args[$((index + 1))]}"
  fi
done

bash scripts/test-env.sh
bash scripts/seed-busybox.sh drydock-test/busybox:1 >/dev/null
exec timeout --kill-after=30s "$(( (minutes + 10) * 60 ))s" \
  node --expose-gc --import tsx test/soak/run-soak.ts "$@"
