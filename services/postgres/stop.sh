#!/usr/bin/env bash
# Stop the PostgreSQL server started by start.sh for WORKDIR (pg_ctl stop -m fast; -m immediate if
# that does not finish in 30 s). Idempotent: nothing initialised or not running is fine.
# With --purge, also delete its data (WORKDIR/pgdata, WORKDIR/pgrun and, if start.sh had to put them
# in /var/tmp/autocompeter-pg/<hash>/, that dir too).
#
#   services/postgres/stop.sh WORKDIR [--purge]
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 WORKDIR [--purge]" >&2
    exit 2
fi
WORKDIR="$1"
PURGE=0; [ "${2:-}" = "--purge" ] && PURGE=1

purge() {
    [ "$PURGE" = 1 ] || return 0
    if [ -L "$WORKDIR/pgdata" ]; then
        local root
        root="$(dirname "$(readlink -f "$WORKDIR/pgdata")")"
        case "$root" in /var/tmp/autocompeter-pg/?*) rm -rf "$root" ;; esac
    fi
    rm -rf "$WORKDIR/pgdata" "$WORKDIR/pgrun" "$WORKDIR/postgres.dsn"
}

if [ ! -e "$WORKDIR/pgdata" ]; then purge; exit 0; fi
PGDATA="$(readlink -f "$WORKDIR/pgdata")"
if [ ! -f "$PGDATA/PG_VERSION" ]; then purge; exit 0; fi

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
    echo "[postgres] no pg_ctl found under /usr/lib/postgresql" >&2
    exit 1
fi

if [ "$(id -u)" = 0 ]; then
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    as_pg() { (cd / && "$@"); }
fi

if as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    if ! as_pg "$BIN/pg_ctl" -D "$PGDATA" stop -m fast -w -t 30 >/dev/null; then
        echo "[postgres] fast shutdown did not finish, using immediate" >&2
        as_pg "$BIN/pg_ctl" -D "$PGDATA" stop -m immediate -w -t 30 >/dev/null
    fi
fi
purge
