#!/usr/bin/env bash
# Start a real single-node OpenSearch 2.19.6 on 127.0.0.1:PORT, data under WORKDIR/opensearch/.
#
#   services/opensearch/start.sh WORKDIR PORT
#   OPENSEARCH_NODES=3 services/opensearch/start.sh WORKDIR PORT
#
# With OPENSEARCH_NODES=N (N > 1): N nodes of one cluster on loopback, node i (1..N) with its own
# WORKDIR/opensearch-node<i>/ (pid, log, data), HTTP port PORT+i-1, transport port
# OPENSEARCH_TRANSPORT_PORT+i-1 (default PORT+100+i-1), each with every node as seed host and as
# an initial cluster manager; waits until all N nodes formed a green cluster and prints the
# SEARCH_URL naming every host (opensearch+http://127.0.0.1:PORT,127.0.0.1:PORT+1,...).
#
# Builds the launcher (services/opensearch/target/) with Maven on first use; later runs reuse it.
# Starts the node in the background (pid: WORKDIR/opensearch.pid, log: WORKDIR/opensearch.log) and
# waits until the cluster is at least yellow. Starting again on the same WORKDIR (also after the
# node was SIGKILLed) reuses its data. If a node from this WORKDIR is already up on PORT, does nothing.
#
# Env: OPENSEARCH_JAVA_OPTS (default "-Xms512m -Xmx512m"), OPENSEARCH_START_TIMEOUT (default 120 s),
#      OPENSEARCH_TRANSPORT_PORT (default: a free port picked at start; PORT+100 for a cluster),
#      OPENSEARCH_NODES (default 1; a cluster's heap defaults to "-Xms384m -Xmx384m" a node),
#      OPENSEARCH_LAUNCHER (default this directory; services/opensearch3/start.sh sets its own for
#      OpenSearch 3.x) and OPENSEARCH_JAVA_HOME (default: `java` on PATH) to run it.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 WORKDIR PORT" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAUNCHER="${OPENSEARCH_LAUNCHER:-$HERE}"
VERSION="$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$LAUNCHER/pom.xml")"
JAVA="${OPENSEARCH_JAVA_HOME:+$OPENSEARCH_JAVA_HOME/bin/}java"
[ -z "${OPENSEARCH_JAVA_HOME:-}" ] || export JAVA_HOME="$OPENSEARCH_JAVA_HOME"   # for Maven too
mkdir -p "$1"
WORKDIR="$(cd "$1" && pwd)"
PORT="$2"
PIDFILE="$WORKDIR/opensearch.pid"
LOG="$WORKDIR/opensearch.log"
URL="http://127.0.0.1:$PORT"
TIMEOUT="${OPENSEARCH_START_TIMEOUT:-120}"
NODES="${OPENSEARCH_NODES:-1}"
if [ "$NODES" -gt 1 ]; then
    JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms384m -Xmx384m}"
else
    JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx512m}"
fi
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

# Alive = the pid in the file ($1, default PIDFILE) exists and is our launcher (not a recycled pid).
is_alive() {
    local pid
    pid="$(cat "${1:-$PIDFILE}" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'autocompeter.OpenSearchNode'
}

# --- build (idempotent, quick when nothing changed) ---------------------------------------------
TARGET="$LAUNCHER/target"
STAMP="$TARGET/.autocompeter-build-ok"
build_launcher() {
mkdir -p "$TARGET"
(
    flock 9
    # Rebuild when the inputs' content changed (not mtimes: a fresh clone has arbitrary mtimes)
    # or the outputs are missing.
    want="$(cd "$LAUNCHER" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40)"
    have="$(cat "$STAMP" 2>/dev/null || true)"
    if [ "$want" != "$have" ] || [ ! -f "$TARGET/opensearch-test-node-1.0.jar" ] ||
            [ ! -f "$TARGET/lib/opensearch-$VERSION.jar" ]; then
        log "building the $VERSION launcher with Maven (first run fetches ~45 MB of jars into ~/.m2)"
        rm -f "$STAMP"
        # Offline first (fast, works once ~/.m2 is filled); online if something is missing.
        if ! (cd "$LAUNCHER" && mvn -B -q -o package >"$TARGET/mvn.log" 2>&1); then
            (cd "$LAUNCHER" && mvn -B -q package >"$TARGET/mvn.log" 2>&1) || {
                log "Maven build failed:"; tail -n 40 "$TARGET/mvn.log" >&2; exit 1; }
        fi
        echo "$want" >"$STAMP"
    fi
) 9>"$TARGET/.build.lock"
}

# Start the launcher for WORKDIR $1 on HTTP port $2 (transport port $3, optional) in the
# background; the JVM writes its own pid into $1/opensearch.pid.
run_node() {
    local dir="$1"
    # shellcheck disable=SC2086
    nohup "$JAVA" $JAVA_OPTS \
        -XX:+UseSerialGC -Xss1m \
        -Djava.io.tmpdir="$dir/opensearch/tmp" \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
        -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
        -Dopensearch.set.netty.runtime.available.processors=false \
        -Dio.netty.allocator.numDirectArenas=0 \
        -XX:-HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError \
        -cp "$TARGET/opensearch-test-node-1.0.jar:$TARGET/lib/*" \
        autocompeter.OpenSearchNode "$dir" "$2" ${3:-} \
        >>"$dir/opensearch.log" 2>&1 </dev/null &
    echo $! >"$dir/opensearch.pid"   # the JVM rewrites this file with its own pid as soon as it runs
}

# --- a cluster of NODES nodes (the single-node path below is unchanged) ------------------------
node_dir() { echo "$WORKDIR/opensearch-node$1"; }

# Launch node $1 of $NODES in the background, with its own WORKDIR, pid file and log.
launch_cluster_node() {
    local i="$1" dir seeds="" managers="" j
    dir="$(node_dir "$i")"
    for j in $(seq 1 "$NODES"); do
        seeds="$seeds${seeds:+,}127.0.0.1:$((TRANSPORT_BASE + j - 1))"
        managers="$managers${managers:+,}autocompeter-node$j"
    done
    mkdir -p "$dir/opensearch/tmp"
    rm -f "$dir/opensearch.pid"
    OPENSEARCH_NODE_NAME="autocompeter-node$i" OPENSEARCH_CLUSTER_NAME="autocompeter-cluster-$PORT" \
    OPENSEARCH_SEED_HOSTS="$seeds" OPENSEARCH_INITIAL_MANAGERS="$managers" \
        run_node "$dir" "$((PORT + i - 1))" "$((TRANSPORT_BASE + i - 1))"
}

cluster_url() {
    local hosts="" i
    for i in $(seq 1 "$NODES"); do hosts="$hosts${hosts:+,}127.0.0.1:$((PORT + i - 1))"; done
    echo "opensearch+http://$hosts"
}

# Every node of the cluster up and answering, as one green cluster of NODES nodes.
cluster_ready() {
    curl -sf --max-time 10 \
        "$URL/_cluster/health?wait_for_status=green&wait_for_nodes=$NODES&timeout=5s" >/dev/null 2>&1
}

start_cluster() {
    local i all_alive=1 start
    for i in $(seq 1 "$NODES"); do
        is_alive "$(node_dir "$i")/opensearch.pid" || all_alive=0
    done
    if [ "$all_alive" = 1 ] && cluster_ready; then
        log "cluster of $NODES already running at $(cluster_url)"
        cluster_url
        exit 0
    fi
    build_launcher
    for i in $(seq 1 "$NODES"); do
        if ! is_alive "$(node_dir "$i")/opensearch.pid" &&
                curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$((PORT + i - 1))/" 2>/dev/null; then
            log "port $((PORT + i - 1)) (node $i) is already in use by another process"
            exit 1
        fi
    done
    for i in $(seq 1 "$NODES"); do
        if ! is_alive "$(node_dir "$i")/opensearch.pid"; then
            log "starting node $i on 127.0.0.1:$((PORT + i - 1)) (transport $((TRANSPORT_BASE + i - 1)), dir $(node_dir "$i"))"
            launch_cluster_node "$i"
        fi
    done
    start=$(date +%s)
    until cluster_ready; do
        for i in $(seq 1 "$NODES"); do
            if ! is_alive "$(node_dir "$i")/opensearch.pid"; then
                log "node $i exited during start-up; last 40 lines of $(node_dir "$i")/opensearch.log:"
                tail -n 40 "$(node_dir "$i")/opensearch.log" >&2
                "$HERE/stop.sh" "$WORKDIR" || true
                exit 1
            fi
        done
        if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
            log "cluster not green with $NODES nodes after ${TIMEOUT}s"
            "$HERE/stop.sh" "$WORKDIR" || true
            exit 1
        fi
        sleep 1
    done
    log "cluster of $NODES green after $(( $(date +%s) - start ))s"
    cluster_url
}

if [ "$NODES" -gt 1 ]; then
    TRANSPORT_BASE="${OPENSEARCH_TRANSPORT_PORT:-$((PORT + 100))}"
    start_cluster
    exit 0
fi

# --- already running? --------------------------------------------------------------------------
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

build_launcher

# --- start -------------------------------------------------------------------------------------
mkdir -p "$WORKDIR/opensearch/tmp"
rm -f "$PIDFILE"
log "starting on $URL (data: $WORKDIR/opensearch/data, log: $LOG)"
run_node "$WORKDIR" "$PORT" "${OPENSEARCH_TRANSPORT_PORT:-}"

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
