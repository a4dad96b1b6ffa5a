#!/usr/bin/env bash
# Brine's whole test suite: what CI runs (via .ci/run) and what a developer
# runs before committing. It needs only a Rust toolchain (rustup's cargo).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is not installed; install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi

# Unit tests, IR golden tests, the frontend fuzz target (bounded) and the
# conformance corpus in every engine. Debug assertions are on (the test
# profile), so the IR verifier runs after every lowering.
export PROPTEST_CASES="${PROPTEST_CASES:-2000}"
# interp: the reference; jit: baseline code only; tiered: `brine run`; hot:
# tiering at a threshold of 2, so every test crosses between engines; eager:
# everything compiled before it runs; deopt: as hot, with every third guard
# failing; aot: `brine build`; aot-jit: `brine build --jit`, whose
# executables tier up as `brine run` does; aot-jit-eager: the same
# executables with a tier threshold of zero; aot-o2: `brine build -O2`;
# aot-o2-deopt: the same built and run with every third guard failing;
# aot-o2-profile: `-O2 --use-profile` with the profile of a run without the
# test's input. The engines that run built executables share one build of
# each test.
export BRINE_ENGINES="${BRINE_ENGINES:-interp,jit,tiered,hot,eager,deopt,aot,aot-jit,aot-jit-eager,aot-o2,aot-o2-deopt,aot-o2-profile}"
# The conformance runner also runs the whole corpus under GC stress.
export BRINE_GC_STRESS_TESTS="${BRINE_GC_STRESS_TESTS:-1}"
export BRINE_GC_STRESS_ENGINES="${BRINE_GC_STRESS_ENGINES:-interp,eager,deopt,aot,aot-jit,aot-o2}"
# `brine build` links executables with `cc` against the runtime library
# (target/debug/libbrine_rt.a), which only a build of the whole workspace makes.
if ! command -v cc >/dev/null 2>&1; then
  echo "scripts/test.sh: no C compiler 'cc' to link built executables; installing gcc" >&2
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update && apt-get install -y gcc) >/dev/null
  else
    echo "scripts/test.sh: install a C toolchain (cc) and run again" >&2
    exit 1
  fi
fi
cargo build --workspace
cargo test --workspace --all-targets

# The release build is what users run; make sure it builds and runs.
cargo build --release --bin brine
./target/release/brine run examples/hello.lox >/dev/null

# The VS Code extension and its Lox grammar (editors/vscode), when node and
# npm are installed: the grammar against every Lox file here, the
# extension's activation with a stubbed VS Code.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  editors/vscode/test.sh
else
  echo "scripts/test.sh: node or npm is not installed; skipping editors/vscode/test.sh"
fi

# The browser playground (playground/): built for wasm32 and tested in
# headless Chromium, when the wasm target is installed.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  playground/test.sh
else
  echo "scripts/test.sh: skipping the playground test (rustup target wasm32-unknown-unknown is not installed)"
fi

# The tree-sitter grammar (editors/tree-sitter-lox): its committed parser
# against Brine's parser on every Lox file here, its corpus and its
# highlight query (cargo and cc only; `tree-sitter test` too when the CLI
# is installed).
editors/tree-sitter-lox/test.sh
