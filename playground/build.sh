#!/usr/bin/env bash
# Builds the playground: brine-wasm for wasm32-unknown-unknown (release,
# without debug info), copied to playground/dist/brine_wasm.wasm beside
# the page. Serve playground/ over HTTP to use it (the page loads the
# module with fetch, from a worker), e.g.
#   python3 -m http.server 8000 --directory playground
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "playground/build.sh: the wasm32-unknown-unknown target is not installed" \
    "(rustup target add wasm32-unknown-unknown)" >&2
  exit 1
fi
# The stack size the module needs comes from crates/brine-wasm/build.rs.
CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true \
  cargo build -p brine-wasm --target wasm32-unknown-unknown --release
target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$here/dist"
cp "$target_dir/wasm32-unknown-unknown/release/brine_wasm.wasm" "$here/dist/brine_wasm.wasm"
echo "playground/build.sh: playground/dist/brine_wasm.wasm ($(wc -c <"$here/dist/brine_wasm.wasm") bytes)"
