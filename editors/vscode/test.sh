#!/usr/bin/env bash
# Tests of the VS Code extension and its Lox grammar (needs node and npm):
# installs the locked npm packages when node_modules is missing, then runs
# node's test runner over test/.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
node --test test/
