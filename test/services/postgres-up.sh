#!/usr/bin/env bash
# postgres-up.sh - start a private PostgreSQL for the PostgreSQL ledger's tests (`npm run
# test:postgres`, and the PostgreSQL leg of test/ledger.test.ts), and print its URL (the only
# line on stdout), e.g. postgresql://artifice:PASSWORD@127.0.0.1:41234/artifice
#
# Private and loopback-only: its own cluster in a new temporary directory (or $PG_STATE_DIR,
# made 0700), listening on 127.0.0.1 only, on a free port (or $PG_PORT), no Unix socket in a
# shared place. Every connection gives a password (scram-sha-256): a random one, generated here
# and kept in the state directory (`password`), the same for the superuser `postgres` and the
# role `artifice`; the printed URL carries it, so treat the URL as a secret (artifice never shows
# a URL's password; .ci/run prints the URL without it). fsync is off: test data need not survive
# a crash of the machine. Stop it with postgres-down.sh (it reads the state directory from
# $PG_STATE_DIR, or from the file the URL's state is noted in: see below); the state is written
# before the server starts, so a start that fails or times out is stopped too.
#
# When PostgreSQL's binaries are missing it installs Debian's `postgresql` package (apt-get
# update first; needs root). initdb refuses to run as root: as root the cluster belongs to the
# `postgres` user (created by the package) and its commands run as that user.
set -euo pipefail

pg_bin() {
  local found
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && found=$dir; done
  if [ -z "${found:-}" ] && command -v initdb >/dev/null; then found=$(dirname "$(readlink -f "$(command -v initdb)")"); fi
  [ -n "${found:-}" ] && echo "$found"
}

if ! bin=$(pg_bin); then
  if [ "$(id -u)" != 0 ]; then
    echo "postgres-up.sh: PostgreSQL is not installed and this is not root: run 'apt-get install postgresql' as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's own cluster from being started, if an init system is there.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && added_policy=1; fi
  trap '[ "$added_policy" = 1 ] && rm -f "$policy"' EXIT
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bin=$(pg_bin) || { echo "postgres-up.sh: the postgresql package installed no initdb" >&2; exit 1; }
fi

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
state=${PG_STATE_DIR:-$(mktemp -d /tmp/artifice-postgres.XXXXXX)}
port=${PG_PORT:-$(free_port)}
mkdir -p "$state"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$state"
  as_owner=(runuser -u postgres --)
fi
data=$state/data
chmod 700 "$state"
# What postgres-down.sh needs, before anything is started.
echo "$port" > "$state/port"
echo "$bin" > "$state/bin"
# Where postgres-down.sh finds the cluster when PG_STATE_DIR is not set.
echo "$state" > "${TMPDIR:-/tmp}/artifice-postgres.last"
password=$(od -An -tx1 -N18 /dev/urandom | tr -d ' \n')
( umask 077
  printf '%s\n' "$password" > "$state/password"
  printf '127.0.0.1:%s:*:postgres:%s\n' "$port" "$password" > "$state/pgpass" )
if [ "${#as_owner[@]}" -gt 0 ]; then chown postgres: "$state/password" "$state/pgpass"; fi
"${as_owner[@]}" "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$state/password" --encoding=UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 || {
  echo "postgres-up.sh: initdb failed (log in $state/initdb.log)" >&2; exit 1; }
cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$state'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
password_encryption = 'scram-sha-256'
CONF
# Only the loopback address, and every role gives its password (artifice_pw has a fixed one: the
# password sources' tests give it through PGPASSWORD, ~/.pgpass, [main] database_password_file).
printf 'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n' > "$data/pg_hba.conf"
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$state/postgres.log" -w -t 60 start >&2 || {
  echo "postgres-up.sh: PostgreSQL did not start (log in $state/postgres.log; postgres-down.sh stops what did)" >&2; exit 1; }
# The password reaches psql through the 0600 file, never its arguments or environment.
"${as_owner[@]}" env PGPASSFILE="$state/pgpass" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE artifice LOGIN CREATEDB" -c "CREATE DATABASE artifice OWNER artifice" \
  -c "CREATE ROLE artifice_pw LOGIN PASSWORD 'artifice-pw-s3cret'" -c "CREATE DATABASE artifice_pw OWNER artifice_pw" >&2
"${as_owner[@]}" env PGPASSFILE="$state/pgpass" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >&2 <<SQL
\\set password \`cat '$state/password'\`
ALTER ROLE artifice PASSWORD :'password';
SQL
echo "postgres-up.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') in $state on 127.0.0.1:$port" >&2
echo "postgresql://artifice:$password@127.0.0.1:$port/artifice"
