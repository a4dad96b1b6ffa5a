#!/usr/bin/env bash
# Tests of the VS Code extension and its Lox grammar (needs node and npm):
# installs the locked npm packages when node_modules is missing, then runs
# node's test runner over test/.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
# The server test starts the real `brine lsp`: $BRINE, by default the
# workspace's debug build (scripts/test.sh has built it).
export BRINE="${BRINE:-$(cd ../.. && pwd)/target/debug/brine}"
node --test test/
