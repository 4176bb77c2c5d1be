#!/usr/bin/env bash
# Start a real single-node OpenSearch 2.19.6 on 127.0.0.1:PORT, data under WORKDIR/opensearch/.
#
#   services/opensearch/start.sh WORKDIR PORT
#
# Builds the launcher (services/opensearch/target/) with Maven on first use; later runs reuse it.
# Starts the node in the background (pid: WORKDIR/opensearch.pid, log: WORKDIR/opensearch.log) and
# waits until the cluster is at least yellow. Starting again on the same WORKDIR (also after the
# node was SIGKILLed) reuses its data. If a node from this WORKDIR is already up on PORT, does nothing.
#
# Env: OPENSEARCH_JAVA_OPTS (default "-Xms512m -Xmx512m"), OPENSEARCH_START_TIMEOUT (default 120 s),
#      OPENSEARCH_TRANSPORT_PORT (default: a free port picked at start).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 WORKDIR PORT" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
WORKDIR="$(cd "$1" && pwd)"
PORT="$2"
PIDFILE="$WORKDIR/opensearch.pid"
LOG="$WORKDIR/opensearch.log"
URL="http://127.0.0.1:$PORT"
TIMEOUT="${OPENSEARCH_START_TIMEOUT:-120}"
JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx512m}"
export DEBIAN_FRONTEND=noninteractive

log() { echo "[opensearch] $*" >&2; }

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq >&2
        apt_updated=1
    fi
    apt-get install -y -qq "$@" >&2
}

# --- tools -------------------------------------------------------------------------------------
command -v curl >/dev/null 2>&1 || apt_install curl
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    log "installing a JDK (openjdk-17-jdk-headless)"
    apt_install openjdk-17-jdk-headless
fi
command -v mvn >/dev/null 2>&1 || { log "installing maven"; apt_install maven; }

# --- already running? --------------------------------------------------------------------------
# Alive = the pid in the file exists and is our launcher (not a recycled pid).
is_alive() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'autocompeter.OpenSearchNode'
}
if is_alive && curl -sf "$URL/_cluster/health" >/dev/null 2>&1; then
    log "already running (pid $(cat "$PIDFILE")) at $URL"
    echo "$URL"
    exit 0
fi
if is_alive; then
    log "a stale node from $WORKDIR is still running (pid $(cat "$PIDFILE")) but not answering on $URL; stopping it"
    "$HERE/stop.sh" "$WORKDIR"
fi
if curl -s -o /dev/null --max-time 2 "$URL/" 2>/dev/null; then
    log "port $PORT is already in use by another process"
    exit 1
fi

# --- build (idempotent, quick when nothing changed) ---------------------------------------------
TARGET="$HERE/target"
STAMP="$TARGET/.autocompeter-build-ok"
mkdir -p "$TARGET"
(
    flock 9
    # Rebuild when the inputs' content changed (not mtimes: a fresh clone has arbitrary mtimes)
    # or the outputs are missing.
    want="$(cd "$HERE" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40)"
    have="$(cat "$STAMP" 2>/dev/null || true)"
    if [ "$want" != "$have" ] || [ ! -f "$TARGET/opensearch-test-node-1.0.jar" ] ||
            [ ! -f "$TARGET/lib/opensearch-2.19.6.jar" ]; then
        log "building launcher with Maven (first run fetches ~45 MB of jars into ~/.m2)"
        rm -f "$STAMP"
        # Offline first (fast, works once ~/.m2 is filled); online if something is missing.
        if ! (cd "$HERE" && mvn -B -q -o package >"$TARGET/mvn.log" 2>&1); then
            (cd "$HERE" && mvn -B -q package >"$TARGET/mvn.log" 2>&1) || {
                log "Maven build failed:"; tail -n 40 "$TARGET/mvn.log" >&2; exit 1; }
        fi
        echo "$want" >"$STAMP"
    fi
) 9>"$TARGET/.build.lock"

# --- start -------------------------------------------------------------------------------------
mkdir -p "$WORKDIR/opensearch/tmp"
rm -f "$PIDFILE"
log "starting on $URL (data: $WORKDIR/opensearch/data, log: $LOG)"
# shellcheck disable=SC2086
nohup java $JAVA_OPTS \
    -XX:+UseSerialGC -Xss1m \
    -Djava.io.tmpdir="$WORKDIR/opensearch/tmp" \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
    -Dopensearch.set.netty.runtime.available.processors=false \
    -Dio.netty.allocator.numDirectArenas=0 \
    -XX:-HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError \
    -cp "$TARGET/opensearch-test-node-1.0.jar:$TARGET/lib/*" \
    autocompeter.OpenSearchNode "$WORKDIR" "$PORT" ${OPENSEARCH_TRANSPORT_PORT:-} \
    >>"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"   # the JVM rewrites this file with its own pid as soon as it runs

start=$(date +%s)
while :; do
    if curl -sf --max-time 10 "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; then
        break
    fi
    if ! is_alive; then
        log "OpenSearch exited during start-up; last 40 lines of $LOG:"
        tail -n 40 "$LOG" >&2
        exit 1
    fi
    if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
        log "OpenSearch not healthy on $URL after ${TIMEOUT}s; last 40 lines of $LOG:"
        tail -n 40 "$LOG" >&2
        "$HERE/stop.sh" "$WORKDIR" || true
        exit 1
    fi
    sleep 1
done

# Single node: let new indices default to 0 replicas so they become green, not yellow.
# (Persistent cluster setting, stored in the data dir; an index's own setting still wins.)
curl -sf -XPUT "$URL/_cluster/settings" -H 'Content-Type: application/json' \
    -d '{"persistent":{"cluster.default_number_of_replicas":0}}' >/dev/null || true

log "up after $(( $(date +%s) - start ))s, pid $(cat "$PIDFILE")"
echo "$URL"
