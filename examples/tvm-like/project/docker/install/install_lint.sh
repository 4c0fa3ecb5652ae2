#!/bin/sh
set -e
echo "lint-rules 2026.11" >> /opt/ci/versions.txt
printf 'max-line-length=100\n' > /opt/ci/lintrc
echo "installed lint rules"
