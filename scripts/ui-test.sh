#!/usr/bin/env bash
# The browser test of the web interface (tests/ui/e2e.mjs): installs playwright-core and
# axe-core from npm into a cache under /var/tmp (no browser download: Debian's chromium
# is used), then drives a real `aleph serve`. Screenshots land in
# $CARGO_TARGET_DIR/ui-screenshots (or $UI_SCREENSHOTS).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
export UI_NPM=${UI_NPM:-/var/tmp/aleph-ui-npm}
export ALEPH_BIN=${ALEPH_BIN:-$CARGO_TARGET_DIR/debug/aleph}
export UI_SCREENSHOTS=${UI_SCREENSHOTS:-$CARGO_TARGET_DIR/ui-screenshots}

playwright_version=1.65.1
axe_version=4.14.1
if ! [ -f "$UI_NPM/node_modules/playwright-core/package.json" ] ||
   ! grep -q "\"version\": \"$playwright_version\"" "$UI_NPM/node_modules/playwright-core/package.json" ||
   ! [ -f "$UI_NPM/node_modules/axe-core/axe.min.js" ] ||
   ! grep -q "\"version\": \"$axe_version\"" "$UI_NPM/node_modules/axe-core/package.json"; then
    mkdir -p "$UI_NPM"
    [ -f "$UI_NPM/package.json" ] || echo '{"name": "aleph-ui-test", "private": true}' > "$UI_NPM/package.json"
    # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the test runs Debian's chromium, never a download.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$UI_NPM" --no-audit --no-fund --silent \
        "playwright-core@$playwright_version" "axe-core@$axe_version"
fi

[ -x "$ALEPH_BIN" ] || cargo build --locked -p aleph
timeout 300 node tests/ui/e2e.mjs
