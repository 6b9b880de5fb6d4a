#!/usr/bin/env bash
# postgres-down.sh - stop the PostgreSQL postgres-up.sh started and remove its directory:
# $PG_STATE_DIR, else the one the last postgres-up.sh noted.
set -euo pipefail
note="${TMPDIR:-/tmp}/artifice-postgres.last"
state=${PG_STATE_DIR:-$(cat "$note" 2>/dev/null || true)}
if [ -z "$state" ] || [ ! -d "$state" ]; then
  echo "postgres-down.sh: no PostgreSQL state directory (set PG_STATE_DIR): nothing to stop" >&2
  exit 0
fi
case "$state" in /tmp/*|"${TMPDIR:-/tmp}"/*) ;; *) [ -n "${PG_STATE_DIR:-}" ] || { echo "postgres-down.sh: $state is not a temporary directory: not touching it" >&2; exit 1; } ;; esac
if [ -f "$state/bin" ] && [ -d "$state/data" ]; then
  bin=$(cat "$state/bin")
  as_owner=()
  [ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --)
  "${as_owner[@]}" "$bin/pg_ctl" -D "$state/data" -m fast -w -t 60 stop >&2 || true
fi
rm -rf "$state"
[ "$(cat "$note" 2>/dev/null || true)" = "$state" ] && rm -f "$note"
echo "postgres-down.sh: stopped and removed $state" >&2
