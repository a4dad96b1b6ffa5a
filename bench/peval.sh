#!/usr/bin/env bash
# Measures the partial evaluator (DESIGN.md section 9) on the interpreters
# written in Lox, examples/bagel.lox and examples/loxlox.lox: each guest
# program under bench/bagel/ and bench/loxlox/ run
#   specialized  - the interpreter as shipped (brine.specialize, annotated)
#   plain        - the same interpreter unspecialized (--plain)
#   hint-free    - specialized, with its context annotations removed
#                  (pushContext/updateContext/popContext): the evaluator
#                  finds the dispatch loop itself
#   direct       - the same algorithm written in Lox, run by `brine run`
# and prints a Markdown table of the median of RUNS runs (user + system
# seconds of the whole process, so specializing and compiling count), then
# the annotations each interpreter has.
#
# Usage: bench/peval.sh [RUNS]   (default 3; the plain runs, which take
# seconds each, PLAIN_RUNS times, default 1; build first: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
PLAIN_RUNS=${PLAIN_RUNS:-1}
BRINE=${BRINE:-target/release/brine}
[ -x "$BRINE" ] || { echo "no $BRINE: run cargo build --release" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip_hints() {
  sed -e 's/brine\.pushContext([^)]*);//g; s/brine\.updateContext([^)]*);//g; s/brine\.popContext();//g' "$1" > "$2"
}
strip_hints examples/bagel.lox "$tmp/bagel_bare.lox"
strip_hints examples/loxlox.lox "$tmp/loxlox_bare.lox"

# The median of RUNS timings of a command (seconds, user + system).
measure() {
  local times=() n=$RUNS
  if [ "$1" = --plain ]; then n=$PLAIN_RUNS; shift; fi
  for _ in $(seq "$n"); do
    local t
    /usr/bin/time -o "$tmp/time" -f "%U %S" "$@" > "$tmp/out" 2> /dev/null
    t=$(awk '{ printf "%.3f", $1 + $2 }' "$tmp/time")
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# Checks that a run printed what the direct program prints.
same_output() {
  local want=$1; shift
  "$@" > "$tmp/got" 2> /dev/null
  cmp -s "$want" "$tmp/got" || { echo "output differs: $*" >&2; exit 1; }
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }

echo "| interpreter | guest | specialized s | plain s | hint-free s | direct s | plain / specialized | specialized / direct | plain / hint-free |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for interp in bagel loxlox; do
  for guest in bench/$interp/*; do
    case "$guest" in *_direct.lox) continue ;; esac
    name=$(basename "$guest"); name=${name%.*}
    if [ "$interp" = bagel ]; then direct=bench/bagel/${name}_direct.lox; else direct=$guest; fi
    "$BRINE" run "$direct" > "$tmp/want"
    (cd examples && same_output "$tmp/want" "../$BRINE" run $interp.lox "../$guest")
    (cd examples && same_output "$tmp/want" "../$BRINE" run $interp.lox "../$guest" --plain)
    (cd examples && same_output "$tmp/want" "../$BRINE" run "$tmp/${interp}_bare.lox" "../$guest")
    spec=$(cd examples && measure "../$BRINE" run $interp.lox "../$guest")
    plain=$(cd examples && measure --plain "../$BRINE" run $interp.lox "../$guest" --plain)
    bare=$(cd examples && measure "../$BRINE" run "$tmp/${interp}_bare.lox" "../$guest")
    dir=$(measure "$BRINE" run "$direct")
    echo "| $interp | $name | $spec | $plain | $bare | $dir | $(ratio "$plain" "$spec") | $(ratio "$spec" "$dir") | $(ratio "$plain" "$bare") |"
  done
done
echo
echo "Annotations (calls of brine.* in the interpreter's code, comments left out):"
echo
for interp in bagel loxlox; do
  code=$(sed 's|//.*||' examples/$interp.lox)
  counts=$(grep -o 'brine\.[a-zA-Z]*(' <<< "$code" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }' | sed 's/(//g; s/, $//')
  total=$(grep -o 'brine\.[a-zA-Z]*(' <<< "$code" | wc -l)
  echo "- $interp: $total ($counts)"
done
