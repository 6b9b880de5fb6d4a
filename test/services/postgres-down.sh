#!/usr/bin/env bash
# postgres-down.sh - stop the PostgreSQL postgres-up.sh started and remove its directory:
# $PG_STATE_DIR, else the one the last postgres-up.sh noted. pg_ctl stop (fast, then immediate),
# then signals to the postmaster.pid's process; the directory is never removed while it lives.
set -euo pipefail
note="${TMPDIR:-/tmp}/artifice-postgres.last"
state=${PG_STATE_DIR:-$(cat "$note" 2>/dev/null || true)}
if [ -z "$state" ] || [ ! -d "$state" ]; then
  echo "postgres-down.sh: no PostgreSQL state directory (set PG_STATE_DIR): nothing to stop" >&2
  exit 0
fi
case "$state" in /tmp/*|"${TMPDIR:-/tmp}"/*) ;; *) [ -n "${PG_STATE_DIR:-}" ] || { echo "postgres-down.sh: $state is not a temporary directory: not touching it" >&2; exit 1; } ;; esac
as_owner=()
[ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --)
if [ -f "$state/bin" ] && [ -d "$state/data" ]; then
  bin=$(cat "$state/bin")
  "${as_owner[@]}" "$bin/pg_ctl" -D "$state/data" -m fast -w -t 60 stop >&2 ||
    "${as_owner[@]}" "$bin/pg_ctl" -D "$state/data" -m immediate -w -t 30 stop >&2 || true
fi
# The postmaster, if one still runs from this data directory (pg_ctl missing, or it gave up):
# its pid is the first line of postmaster.pid; a pid that is now another program's is left alone.
# A zombie (exited, not yet reaped: some containers' pid 1 does not reap) no longer runs.
running() { [ -r "/proc/$1/stat" ] && [ "$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
postmaster() {
  local pid
  pid=$(head -n 1 "$state/data/postmaster.pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] && echo "$pid"
}
if pid=$(postmaster); then
  # SIGQUIT: immediate shutdown (the postmaster ends its backends); then SIGKILL.
  kill -QUIT "$pid" 2>/dev/null || true
  for _ in $(seq 50); do running "$pid" || break; sleep 0.1; done
  running "$pid" && kill -KILL "$pid" 2>/dev/null
  for _ in $(seq 50); do running "$pid" || break; sleep 0.1; done
fi
if pid=$(postmaster); then
  echo "postgres-down.sh: the postmaster (pid $pid) of $state still runs: not removing $state" >&2
  exit 1
fi
rm -rf "$state"
[ "$(cat "$note" 2>/dev/null || true)" = "$state" ] && rm -f "$note"
echo "postgres-down.sh: stopped and removed $state" >&2
