#!/usr/bin/env bash
# Benchmarks Brine against its peers and regenerates bench/RESULTS.md and
# bench/results.svg.
#
# Usage: scripts/bench.sh [HARNESS OPTIONS...]
#   e.g. scripts/bench.sh --runs 10     (more runs per cell; default 5)
#        scripts/bench.sh --filter fib,zoo --quick   (a smoke test; it still
#                                        rewrites both files)
#
# It installs the peers that are missing (Debian's luajit and lua5.4, when
# running as root with apt-get; node must already be there), builds the
# workspace in release mode, and runs the harness (crates/brine-bench) with
# Brine's engines interp, tiered (`brine run`, the baseline of the ratios),
# jit (`brine run --no-tier`: baseline code only), aot (the executable of
# `brine build`), aot-o2 (of `brine build -O2`, optimized ahead of time),
# aot-o2-profile (of `brine build -O2 --use-profile`, from the profile that a
# `brine run --save-profile` of the program saved first, untimed) and
# aot-jit (the executable of `brine build --jit`, which carries the JIT and
# tiers up as `brine run` does), and every peer found on
# PATH: luajit-joff (LuaJIT's interpreter), luajit, lua5.4 and node, plus the
# start-up time of an empty program in each. After the tables comes the build
# section: the time of each aot build and the size of the
# executable, and the build of a generated 10,000-line program with and
# without --jit (--build-large; the median of 3 builds each). Without a C
# compiler there are no aot engines and no large build. Peers that are not
# installed are skipped with a note. Any further arguments go to the harness
# (see `bench --help` or bench/README.md); a --build-large N among them
# replaces the default 10000.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "scripts/bench.sh: $*" >&2; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-bench}"
engines="interp,tiered=jit,jit=jit:--no-tier,aot,aot-o2=aot:-O2,aot-o2-profile=aot:-O2 --use-profile {profile},aot-jit=aot:--jit"
# The build of a generated 10,000-line program, timed with and without --jit.
large=(--build-large 10000)

# Peers: Debian's packages luajit and lua5.4, installed only when missing.
missing=()
command -v luajit >/dev/null 2>&1 || missing+=(luajit)
command -v lua5.4 >/dev/null 2>&1 || missing+=(lua5.4)
# `brine build` (the aot engine) links executables with cc.
command -v cc >/dev/null 2>&1 || missing+=(gcc)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get"
    if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >&2; then
      say "could not install ${missing[*]}; continuing without"
    fi
  else
    say "not installed: ${missing[*]} (run as root with apt-get to install them); continuing without"
  fi
fi
command -v node >/dev/null 2>&1 || say "node is not installed: the node peer is skipped"
if ! command -v cc >/dev/null 2>&1; then
  say "no C compiler 'cc': the aot engines and the large-program build are skipped"
  engines="interp,tiered=jit,jit=jit:--no-tier"
  large=()
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "cargo is not installed; install Rust with rustup (https://rustup.rs)"
  exit 1
fi
cargo build --release --workspace

bin="$CARGO_TARGET_DIR/release"
bin="${bin#"$PWD"/}" # relative when it can be, for a shorter command in RESULTS.md
# The results page shows this as the command that made it.
BRINE_BENCH_COMMAND="scripts/bench.sh"
if (($#)); then BRINE_BENCH_COMMAND+="$(printf ' %q' "$@")"; fi
export BRINE_BENCH_COMMAND
exec "$bin/bench" --brine "$bin/brine" --dir bench --engines "$engines" --peers --startup \
  ${large[@]+"${large[@]}"} --markdown bench/RESULTS.md --chart bench/results.svg "$@"
