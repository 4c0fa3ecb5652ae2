#!/bin/sh
# Stands in for a real package install: records what the image contains.
set -e
mkdir -p /opt/ci /workspace
echo "core 1.4.2" > /opt/ci/versions.txt
echo "installed core tools"
