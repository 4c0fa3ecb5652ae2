#!/usr/bin/env bash
# Runs drydock's main job on the bundled example project. It installs and
# starts what is missing (Node packages, a Docker engine, a busybox base
# image), turns examples/tvm-like/project into a git repository under
# .drydock/, and runs drydock there. Extra arguments go to drydock.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env.sh --example
if [ ! -d node_modules ]; then
  echo "example: installing Node packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' -print -quit)" ]; then
  echo "example: compiling TypeScript (npm run build)" >&2
  npm run --silent build >&2
fi
bash scripts/seed-busybox.sh drydock-example/busybox:1

# A fixed author and date make the commit hash depend only on the files, so
# an unchanged example builds the same commit every time.
repo=.drydock/example-repo
rm -rf "$repo"
mkdir -p "$repo"
cp -R examples/tvm-like/project/. "$repo/"
export GIT_AUTHOR_NAME="drydock example" GIT_AUTHOR_EMAIL="example@drydock.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m "Example project snapshot"

command=${DRYDOCK_EXAMPLE_COMMAND:-nightly}
echo "example: running drydock $command on $repo (state in .drydock)" >&2
exec node bin/drydock.js "$command" --config examples/tvm-like/drydock.yml --repo "$repo" --state-dir .drydock "$@"
