#!/bin/sh
# Checks that no source line is longer than the image's lint rule allows.
set -e
limit=$(sed -n 's/^max-line-length=//p' /opt/ci/lintrc)
if grep -rn ".\{$((limit + 1))\}" python/; then
  echo "lines longer than $limit characters" >&2
  exit 1
fi
echo "lint passed"
