#!/usr/bin/env bash
# Stop the OpenSearch node started by start.sh for WORKDIR: SIGTERM, then SIGKILL after 10 s.
# Idempotent: no pid file or a dead pid is fine.
#
#   services/opensearch/stop.sh WORKDIR
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 WORKDIR" >&2
    exit 2
fi
PIDFILE="$1/opensearch.pid"

[ -f "$PIDFILE" ] || exit 0
PID="$(cat "$PIDFILE" 2>/dev/null || true)"
case "$PID" in ''|*[!0-9]*) rm -f "$PIDFILE"; exit 0 ;; esac

# Only signal our own launcher, never a process that later got the same pid.
if kill -0 "$PID" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q 'autocompeter.OpenSearchNode'; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then
        echo "[opensearch] pid $PID still alive after 10s, sending SIGKILL" >&2
        kill -KILL "$PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
fi
rm -f "$PIDFILE"
