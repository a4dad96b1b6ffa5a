#!/usr/bin/env bash
# Tests of the tree-sitter grammar (needs cargo and a C compiler): the Rust
# crate's tests, which parse every Lox file of the repository with the
# committed parser (src/parser.c) and compare it with Brine's own parser,
# run the corpus (test/corpus) and the highlight assertions
# (test/highlight); then, when the tree-sitter CLI is on the PATH, checks
# that src/ is what `tree-sitter generate` makes of grammar.js and runs
# `tree-sitter test`.
set -euo pipefail
cd "$(dirname "$0")"
# The repository's target/, not the main workspace's build: its own
# directory, kept between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd ../.. && pwd)/target/tree-sitter-lox}"
# Not --locked: a dependency added to brine-frontend or brine-ir (the
# tests' oracle) just enters Cargo.lock, keeping the versions there.
cargo test --quiet
if command -v tree-sitter >/dev/null 2>&1; then
  # The committed src/ must be what this grammar.js generates.
  generated="$(mktemp -d)"
  trap 'rm -rf "$generated"' EXIT
  tree-sitter generate --output "$generated"
  if ! diff -r "$generated" src >/dev/null; then
    echo "editors/tree-sitter-lox/test.sh: src/ is not what '$(tree-sitter --version)' generates from grammar.js; run 'tree-sitter generate' and commit src/" >&2
    exit 1
  fi
  tree-sitter test
else
  echo "editors/tree-sitter-lox/test.sh: the tree-sitter CLI is not installed; skipping 'tree-sitter test'"
fi
