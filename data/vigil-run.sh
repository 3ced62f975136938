#!/usr/bin/env bash
# vigil-run.sh: what `make run` starts.
#
# Usage: data/vigil-run.sh BUILDDIR [EXTRA SERVE OPTIONS...]
#
# With VIGIL_UPSTREAM set, serves that database. Otherwise starts a private demo PostgreSQL 15
# with a `shop` database full of fake personal data, creates the `demo-agent` identity once,
# prints how to connect, and serves the demo until Ctrl-C (or until the console is closed),
# then stops the demo PostgreSQL.
#
# Where there is a display ($DISPLAY or $WAYLAND_DISPLAY) and the console was built
# (-Dgui=true), the engine runs in the console, `vigil`, with the same options; otherwise
# headless, in `vigilctl serve`.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILDDIR=${1:?usage: $0 BUILDDIR}
shift
SRCDIR=$(cd "$(dirname "$0")" && pwd)
VIGILCTL=$BUILDDIR/app/vigilctl
VIGIL=$BUILDDIR/app/vigil
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DATA=${VIGIL_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vigil}
DEMO_PORT=6542
LISTEN_PORT=6543

die () { printf 'vigil-run: %s\n' "$*" >&2; exit 2; }
say () { printf 'vigil-run: %s\n' "$*" >&2; }

[ -x "$VIGILCTL" ] || die "$VIGILCTL is missing: run 'make build' first"
export VIGIL_DATA_DIR=$DATA

# What runs the engine: `vigil` and `vigilctl serve` take the same options.
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$VIGIL" ]; then
  SERVE=("$VIGIL")
  STOP_HINT="Closing the console (or Ctrl-C)"
  # Uninstalled: the console's GSettings schema is compiled in the build tree.
  GSETTINGS_SCHEMA_DIR="$(cd "$BUILDDIR" && pwd)/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
  export GSETTINGS_SCHEMA_DIR
else
  SERVE=("$VIGILCTL" serve)
  STOP_HINT="Ctrl-C"
fi

if [ -n "${VIGIL_UPSTREAM:-}" ]; then
  exec "${SERVE[@]}" --data-dir "$DATA" --upstream "$VIGIL_UPSTREAM" "$@"
fi

# --- the demo PostgreSQL ------------------------------------------------------------------

# PostgreSQL refuses to run as root; a root `make run` runs it as postgres (or nobody).
AS_OWNER=()
PG_OWNER=$(id -un)
if [ "$(id -u)" = 0 ]; then
  PG_OWNER=${VIGIL_DEMO_PG_USER:-$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)}
  AS_OWNER=(setpriv "--reuid=$(id -u "$PG_OWNER")" "--regid=$(id -g "$PG_OWNER")" --clear-groups --)
fi
as_owner () { "${AS_OWNER[@]}" "$@"; }

pick_pg_dir () {
  mkdir -p "$DATA"
  chmod 700 "$DATA"
  PG_DIR=$DATA/demo-pg
  # root's $HOME is closed to other users: keep the cluster where its owner can reach it.
  if [ "$(id -u)" = 0 ] && [ ! -L "$PG_DIR" ] && ! as_owner test -x "$DATA"; then
    mkdir -p /var/lib/vigil
    chmod 755 /var/lib/vigil
    ln -sfn /var/lib/vigil/demo-pg "$PG_DIR"
  fi
  if [ -L "$PG_DIR" ]; then
    PG_DIR=$(readlink -f "$PG_DIR")
  fi
  PGDATA_DIR=$PG_DIR/data
}

init_demo_pg () {
  [ -f "$PGDATA_DIR/PG_VERSION" ] && return 0
  say "creating the demo PostgreSQL in $PG_DIR"
  mkdir -p "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown "$PG_OWNER:" "$PG_DIR"; fi
  # Trust on the Unix socket only: its directory is private to the cluster's owner.
  as_owner "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 \
    || die "initdb failed (see $PG_DIR/initdb.log)"
  as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF
port = $DEMO_PORT
unix_socket_directories = '$PG_DIR'
EOF
}

port_in_use () { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_demo_pg () {
  local listen=127.0.0.1
  if as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    say "the demo PostgreSQL is already running; leaving it running on exit"
    return 0
  fi
  if port_in_use "$DEMO_PORT"; then
    say "port $DEMO_PORT is taken: the demo PostgreSQL listens on its Unix socket only"
    listen=
  fi
  as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=$listen" start >/dev/null \
    || die "the demo PostgreSQL did not start (see $PG_DIR/postgres.log)"
  PG_STARTED=1
}

# shellcheck disable=SC2317  # runs from the EXIT trap
stop_demo_pg () {
  if [ "${PG_STARTED:-0}" = 1 ]; then
    say "stopping the demo PostgreSQL"
    as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

demo_psql () {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$DEMO_PORT" "$@"
}

# Idempotent: an interrupted first load (demo.sql is one transaction) is redone next time.
load_demo_data () {
  if [ "$(demo_psql -U postgres -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'shop'")" != 1 ]; then
    demo_psql -U postgres -d postgres -c "CREATE ROLE shop LOGIN"
  fi
  if [ "$(demo_psql -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'shop'")" != 1 ]; then
    demo_psql -U postgres -d postgres -c "CREATE DATABASE shop OWNER shop"
  fi
  if [ "$(demo_psql -U shop -d shop -tAc "SELECT to_regclass('public.customers') IS NOT NULL")" != t ]; then
    say "loading the demo shop database"
    demo_psql -U shop -d shop -f "$SRCDIR/demo.sql" >/dev/null
  fi
}

# --- the demo identity --------------------------------------------------------------------

# The token is shown once by `identity add`; keep it so every run can print how to connect.
demo_token () {
  local file=$DATA/demo-agent.token token
  if [ -s "$file" ]; then
    cat "$file"
    return 0
  fi
  if ! token=$("$VIGILCTL" identity add demo-agent --kind agent --data-dir "$DATA" 2>/dev/null); then
    # It exists but its token was lost: issue a new one.
    "$VIGILCTL" identity revoke demo-agent --data-dir "$DATA" >/dev/null 2>&1 || true
    token=$("$VIGILCTL" identity add demo-agent --kind agent --data-dir "$DATA") || return 1
  fi
  (umask 077 && printf '%s\n' "$token" >"$file")
  printf '%s\n' "$token"
}

# --- main ---------------------------------------------------------------------------------

main () {
  local token rc=0

  [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 not found in $PGBIN (apt-get install postgresql-15)"
  pick_pg_dir
  init_demo_pg
  # An untrapped SIGINT would kill bash without running the EXIT trap.
  trap stop_demo_pg EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  start_demo_pg
  load_demo_data
  token=$(demo_token) || die "could not create the demo-agent identity"

  cat <<EOF

  Vigil is serving the demo shop database. Connect as the demo agent with:

    psql "host=127.0.0.1 port=$LISTEN_PORT user=demo-agent password=$token dbname=shop"

  Try: SELECT * FROM customers LIMIT 5;   SELECT * FROM api_keys;
  The demo PostgreSQL lives in $PG_DIR. $STOP_HINT stops both.

EOF

  # Foreground, so Ctrl-C reaches the engine with its default disposition; the traps above
  # make bash wait for it and then run the EXIT trap.
  "${SERVE[@]}" --data-dir "$DATA" --listen "127.0.0.1:$LISTEN_PORT" \
    --upstream "host=$PG_DIR port=$DEMO_PORT user=shop dbname=shop" "$@" || rc=$?
  exit "$rc"
}

main "$@"
