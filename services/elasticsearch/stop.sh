#!/usr/bin/env bash
# Stop the Elasticsearch node that start.sh started for WORKDIR: SIGTERM, then SIGKILL after 10 s.
# Idempotent: no pid file, or a pid that is gone, is fine.
#
#   services/elasticsearch/stop.sh WORKDIR
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 WORKDIR" >&2
    exit 2
fi
PIDFILE="$1/elasticsearch.pid"

[ -f "$PIDFILE" ] || exit 0
PID="$(cat "$PIDFILE" 2>/dev/null || true)"
case "$PID" in ''|*[!0-9]*) rm -f "$PIDFILE"; exit 0 ;; esac

wait_gone() {   # wait_gone TENTHS: true once the pid is gone
    for _ in $(seq 1 "$1"); do
        kill -0 "$PID" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$PID" 2>/dev/null
}

# Signal only our launcher, never a process that later got the same pid.
if kill -0 "$PID" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q 'autocompeter.ElasticsearchNode'; then
    kill -TERM "$PID" 2>/dev/null || true
    if ! wait_gone 100; then
        echo "[elasticsearch] pid $PID still alive after 10s, sending SIGKILL" >&2
        kill -KILL "$PID" 2>/dev/null || true
        wait_gone 50 || true
    fi
fi
rm -f "$PIDFILE"
