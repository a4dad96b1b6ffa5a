#!/usr/bin/env bash
# The playground's test: builds it (build.sh), serves playground/ on a free
# port of 127.0.0.1, and runs test.mjs in headless Chromium, which types
# programs into the page, runs them and checks what it shows, and takes a
# screenshot: playground/dist/screenshot.png, or with --screenshot the
# README's playground/screenshot.png (committed; a run's timing is in it,
# so plain test runs leave it alone).
#
# Needs /usr/bin/chromium (installed with apt-get when missing) and
# playwright-core (npm ci from package-lock.json when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shot="$here/dist/screenshot.png"
case "${1:-}" in
  "") ;;
  --screenshot) shot="$here/screenshot.png" ;;
  *) echo "usage: playground/test.sh [--screenshot]" >&2; exit 2 ;;
esac

"$here/build.sh"

if [ ! -x /usr/bin/chromium ]; then
  echo "playground/test.sh: installing chromium" >&2
  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) >/dev/null
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$here" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 50); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/index.html')" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

node "$here/test.mjs" "http://127.0.0.1:$port/index.html" "$shot"
