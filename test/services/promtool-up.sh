#!/usr/bin/env bash
# promtool-up.sh - make sure `promtool` (Prometheus's own checker of the text exposition format)
# is on this machine, for the metrics suite (`npm run test:metrics`), and print its path (the only
# line on stdout).
#
# When `promtool` is not on PATH it installs Debian's `prometheus` package, which ships it
# (apt-get update first; needs root). The package's daemon is not wanted: with no init system
# (a container) nothing starts it, and policy-rc.d keeps it stopped where there is one.
set -euo pipefail

if found=$(command -v promtool); then
  echo "$found"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "promtool-up.sh: promtool is not installed and this is not root: run 'apt-get install prometheus' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the daemon from being started by the package's maintainer scripts, if an init system is there.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends prometheus >&2
found=$(command -v promtool) || { echo "promtool-up.sh: the prometheus package installed no promtool" >&2; exit 1; }
echo "$found"
exit 0
