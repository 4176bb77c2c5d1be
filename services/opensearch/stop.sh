#!/usr/bin/env bash
# Stop the OpenSearch node started by start.sh for WORKDIR, and the nodes of a cluster started
# there (WORKDIR/opensearch-node*/, OPENSEARCH_NODES=N): SIGTERM, then SIGKILL after 10 s.
# Idempotent: no pid file or a dead pid is fine.
#
#   services/opensearch/stop.sh WORKDIR
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 WORKDIR" >&2
    exit 2
fi

# Stop the launcher whose pid is in $1 (a pid file), if it is still ours.
stop_node() {
    local pidfile="$1" pid
    [ -f "$pidfile" ] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    case "$pid" in ''|*[!0-9]*) rm -f "$pidfile"; return 0 ;; esac

    # Only signal our own launcher, never a process that later got the same pid.
    if kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'autocompeter.OpenSearchNode'; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "[opensearch] pid $pid still alive after 10s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$pidfile"
}

stop_node "$1/opensearch.pid"
# A cluster's nodes stop together (in parallel: each may take its 10 s).
for pidfile in "$1"/opensearch-node*/opensearch.pid; do
    [ -e "$pidfile" ] && stop_node "$pidfile" &
done
wait
