#!/usr/bin/env bash
# Start a real PostgreSQL server for the tests on 127.0.0.1:PORT, data in WORKDIR/pgdata.
#
#   services/postgres/start.sh WORKDIR PORT
#   PG_DURABLE=1 services/postgres/start.sh WORKDIR PORT   # fsync, synchronous_commit and
#                                                          # full_page_writes on, as in production
#
# - Installs Debian's `postgresql` package if no /usr/lib/postgresql/*/bin/initdb exists (root only).
# - First run on a WORKDIR: initdb (trust auth, UTF8, fsync off), then start. Later runs on the same
#   WORKDIR (e.g. after stop.sh, or after the server was killed) just start it again, data kept.
#   Already running: does nothing but print the DSN.
# - As root the server runs as the `postgres` system user (created if missing).
# - Creates role `autocompeter` (LOGIN CREATEDB) and database `autocompeter` owned by it.
# - Prints the DSN on stdout (also written to WORKDIR/postgres.dsn):
#       postgresql://autocompeter@127.0.0.1:PORT/autocompeter
#   The superuser also works: postgresql://postgres@127.0.0.1:PORT/autocompeter (no passwords: trust).
#
# Layout: WORKDIR/pgdata (data dir; its postmaster.pid is the pid file), WORKDIR/pgrun (unix socket,
# postgres.log), WORKDIR/postgres.dsn.  If the postgres user cannot reach
# WORKDIR (e.g. it is under /root), pgdata and pgrun live in /var/tmp/autocompeter-pg/<hash>/ and
# WORKDIR/pgdata, WORKDIR/pgrun are symlinks to them.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 WORKDIR PORT" >&2
    exit 2
fi
mkdir -p "$1"
WORKDIR="$(cd "$1" && pwd)"
PORT="$2"
DBNAME=autocompeter
DBUSER=autocompeter
export DEBIAN_FRONTEND=noninteractive

log() { echo "[postgres] $*" >&2; }
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

# --- binaries ----------------------------------------------------------------------------------
find_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}
BIN="$(find_bin)"
if [ -z "$BIN" ]; then
    if [ "$IS_ROOT" != 1 ]; then
        log "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run as root or: apt-get install postgresql"
        exit 1
    fi
    log "installing Debian's postgresql package"
    apt-get update -qq >&2
    # The package's own 'main' cluster is not used; its start may fail without systemd, that's fine.
    apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)"
    [ -n "$BIN" ] || { log "postgresql installed but no initdb found under /usr/lib/postgresql"; exit 1; }
fi

# --- user to run the server as -----------------------------------------------------------------
if [ "$IS_ROOT" = 1 ]; then
    if ! id -u postgres >/dev/null 2>&1; then
        log "creating system user postgres"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    RUNAS=postgres
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    RUNAS="$(id -un)"
    as_pg() { (cd / && "$@"); }
fi

# --- where the data lives ----------------------------------------------------------------------
PGDATA_LINK="$WORKDIR/pgdata"
PGRUN_LINK="$WORKDIR/pgrun"
if [ -L "$PGDATA_LINK" ]; then
    # An earlier run used the fallback location.
    PGROOT="$(dirname "$(readlink -f "$PGDATA_LINK")")"
elif [ -d "$PGDATA_LINK" ]; then
    PGROOT="$WORKDIR"
else
    PGROOT="$WORKDIR"
    if [ "$IS_ROOT" = 1 ] && ! as_pg test -x "$WORKDIR" 2>/dev/null; then
        chmod a+x "$WORKDIR" 2>/dev/null || true     # e.g. a mktemp -d dir (mode 700)
    fi
    if [ "$IS_ROOT" = 1 ] && ! as_pg test -x "$WORKDIR" 2>/dev/null; then
        PGROOT="/var/tmp/autocompeter-pg/$(printf '%s' "$WORKDIR" | sha1sum | cut -c1-16)"
        log "user postgres cannot reach $WORKDIR; keeping the data in $PGROOT (symlinked from $WORKDIR)"
        # A new WORKDIR (no pgdata link yet) gets fresh data, even if an old WORKDIR of the same
        # path left its data behind there.
        if [ -f "$PGROOT/pgdata/PG_VERSION" ]; then
            as_pg "$BIN/pg_ctl" -D "$PGROOT/pgdata" stop -m immediate -w -t 30 >/dev/null 2>&1 || true
        fi
        rm -rf "$PGROOT"
        mkdir -p "$PGROOT"
        chmod 755 /var/tmp/autocompeter-pg "$PGROOT"
        ln -sfn "$PGROOT/pgdata" "$PGDATA_LINK"
        ln -sfn "$PGROOT/pgrun" "$PGRUN_LINK"
    fi
fi
PGDATA="$PGROOT/pgdata"
PGRUN="$PGROOT/pgrun"
PGLOG="$PGRUN/postgres.log"
mkdir -p "$PGDATA" "$PGRUN"
if [ "$IS_ROOT" = 1 ]; then
    chown postgres:postgres "$PGDATA" "$PGRUN"
    [ -f "$PGLOG" ] && chown postgres:postgres "$PGLOG"
fi
chmod 700 "$PGDATA"
chmod 755 "$PGRUN"

# --- initdb (first run only) -------------------------------------------------------------------
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    LOCALE_ARGS=(--no-locale)
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then LOCALE_ARGS=(--locale=C.UTF-8); fi
    log "initdb in $PGDATA ($("$BIN/postgres" --version))"
    if ! as_pg "$BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 "${LOCALE_ARGS[@]}" \
            --no-sync >"$PGRUN/initdb.log" 2>&1; then
        log "initdb failed:"; tail -n 40 "$PGRUN/initdb.log" >&2
        exit 1
    fi
    cat >>"$PGDATA/postgresql.conf" <<'EOF'

# --- autocompeter test server (services/postgres/start.sh) ---
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 64MB
log_min_messages = warning
log_min_error_statement = error
EOF
    # initdb's pg_hba.conf with -A trust already trusts local sockets and 127.0.0.1/32, ::1/128.
fi

# --- start -------------------------------------------------------------------------------------
# The test server trades durability for speed (fsync off above); PG_DURABLE=1 puts it back for
# the tests of what survives a crash (tests/scaled_setup/test_durability.py).
DURABLE_OPTIONS=""
if [ "${PG_DURABLE:-0}" = 1 ]; then
    DURABLE_OPTIONS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
fi
pg_running() { as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
pg_ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 >/dev/null 2>&1; }

# A server that was just killed can still look alive for a moment (pid not yet reaped), and one
# that is starting is not ready yet: wait up to 15 s for it to settle either way.
for _ in $(seq 1 30); do
    if ! pg_running || pg_ready; then break; fi
    sleep 0.5
done

if pg_running; then
    if ! pg_ready; then
        log "a server for $PGDATA is running but not accepting connections on 127.0.0.1:$PORT"
        log "(started on another port? stop it with services/postgres/stop.sh $WORKDIR); last lines of $PGLOG:"
        tail -n 20 "$PGLOG" >&2 || true
        exit 1
    fi
    log "already running ($PGDATA)"
else
    # Port and socket dir are given on each start, so restarting on another PORT works.
    # After a SIGKILL of the postmaster its children may hold the old shared memory for a moment
    # ("pre-existing shared memory block is still in use"): retry a few times.
    started=0
    for attempt in 1 2 3 4 5 6; do
        if as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 \
                -o "-p $PORT -k $PGRUN -c listen_addresses=127.0.0.1 $DURABLE_OPTIONS" start \
                >"$PGRUN/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        pg_running && break     # something else started it meanwhile; checked below
        tail -n 5 "$PGLOG" 2>/dev/null | grep -q 'pre-existing shared memory block' || break
        log "old server processes still exiting, retrying start ($attempt)"
        sleep 1
    done
    if [ "$started" != 1 ] && ! { pg_running && pg_ready; }; then
        log "pg_ctl start failed:"; cat "$PGRUN/pg_ctl.log" >&2
        log "last 40 lines of $PGLOG:"; tail -n 40 "$PGLOG" >&2 || true
        exit 1
    fi
    log "started on 127.0.0.1:$PORT as user $RUNAS (data: $PGDATA, log: $PGLOG)"
fi

# --- role and database (idempotent) ------------------------------------------------------------
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres >/dev/null <<EOF
SELECT 'CREATE ROLE $DBUSER LOGIN CREATEDB'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DBUSER') \gexec
SELECT 'CREATE DATABASE $DBNAME OWNER $DBUSER'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DBNAME') \gexec
EOF

DSN="postgresql://$DBUSER@127.0.0.1:$PORT/$DBNAME"
echo "$DSN" >"$WORKDIR/postgres.dsn"
echo "$DSN"
