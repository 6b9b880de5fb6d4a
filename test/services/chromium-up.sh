#!/usr/bin/env bash
# chromium-up.sh - make Debian's Chromium available for the browser suite (test/browser/).
#
# Installs the Debian package `chromium` if /usr/bin/chromium is missing (needs root and apt;
# `apt-get update` first when the package lists do not know it), checks that it runs, and prints
# the executable's path on stdout (the only line). Idempotent: with Chromium there it only prints
# the path. The suite drives it with playwright-core (no browser download from npm).
#
# Environment knobs:
#   CHROMIUM_PATH  (default /usr/bin/chromium)  an executable to use instead
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}

log() { echo "chromium-up: $*" >&2; }
die() { log "$*"; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
  [ "$CHROMIUM" = /usr/bin/chromium ] || die "CHROMIUM_PATH=$CHROMIUM is not an executable"
  [ "$(id -u)" = 0 ] || die "chromium is missing and not root: install the Debian package chromium"
  command -v apt-get >/dev/null || die "chromium is missing and there is no apt-get: install Chromium and set CHROMIUM_PATH"
  log "installing the Debian package chromium"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends chromium >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends chromium >&2
  fi
  [ -x "$CHROMIUM" ] || die "apt-get installed chromium but $CHROMIUM is not there"
fi

"$CHROMIUM" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
  || "$CHROMIUM" --version >/dev/null 2>&1 \
  || die "$CHROMIUM does not run (try: $CHROMIUM --version)"
echo "$CHROMIUM"
