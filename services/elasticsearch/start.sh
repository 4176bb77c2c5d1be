#!/usr/bin/env bash
# Start a real single-node Elasticsearch 9 on 127.0.0.1:PORT, data under WORKDIR/elasticsearch/.
#
#   services/elasticsearch/start.sh WORKDIR PORT
#
# A test node, not a distribution: the server and Netty jars from Maven Central, plugins from the
# classpath (as Elasticsearch's own test framework starts nodes), plus src/'s analysis plugin for
# edge_ngram and asciifolding. No security (plain HTTP, no users), loopback only, native
# libraries off. Production runs Elastic's own distribution.
#
# Builds the launcher (services/elasticsearch/target/) with Maven on first use; later runs reuse
# it. Starts the node in the background (pid: WORKDIR/elasticsearch.pid, log:
# WORKDIR/elasticsearch.log) and waits until the cluster is at least yellow. Starting again on
# the same WORKDIR (also after SIGKILL) reuses its data. If a node from this WORKDIR is already up
# on PORT, does nothing.
#
# Env: ES_JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64, else the java on PATH if >= 21),
#      ES_JAVA_OPTS (default "-Xms384m -Xmx384m"), ELASTICSEARCH_START_TIMEOUT (default 120 s),
#      ELASTICSEARCH_TRANSPORT_PORT (default: a free port picked at start).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 WORKDIR PORT" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
WORKDIR="$(cd "$1" && pwd)"
PORT="$2"
PIDFILE="$WORKDIR/elasticsearch.pid"
LOG="$WORKDIR/elasticsearch.log"
URL="http://127.0.0.1:$PORT"
TIMEOUT="${ELASTICSEARCH_START_TIMEOUT:-120}"
JAVA_OPTS="${ES_JAVA_OPTS:--Xms384m -Xmx384m}"

log() { echo "[elasticsearch] $*" >&2; }

# --- tools -------------------------------------------------------------------------------------
# Elasticsearch 9 needs Java 21 or later; the machine's default java may be 17 (OpenSearch's).
java_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java.specification.version = //p'; }
JAVA_HOME_FOR_ES="${ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ ! -x "$JAVA_HOME_FOR_ES/bin/java" ]; then
    JAVA_HOME_FOR_ES="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi
if [ "$(java_feature "$JAVA_HOME_FOR_ES" || echo 0)" -lt 21 ]; then
    log "Elasticsearch 9 needs Java 21+; set ES_JAVA_HOME (found $JAVA_HOME_FOR_ES)"
    exit 1
fi
command -v mvn >/dev/null 2>&1 || { log "Maven (mvn) is needed to build the launcher"; exit 1; }
command -v curl >/dev/null 2>&1 || { log "curl is needed"; exit 1; }

# --- already running? --------------------------------------------------------------------------
# Alive = the pid in the file exists and is our launcher (not a recycled pid).
is_alive() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'autocompeter.ElasticsearchNode'
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
    if [ "$want" != "$have" ] || [ ! -f "$TARGET/elasticsearch-test-node-1.0.jar" ] ||
            ! ls "$TARGET"/lib/elasticsearch-9.*.jar >/dev/null 2>&1; then
        log "building launcher with Maven (first run fetches ~60 MB of jars into ~/.m2)"
        rm -f "$STAMP"
        rm -rf "$TARGET/lib"   # no jars of an older version left on the classpath
        # Offline first (fast, works once ~/.m2 is filled); online if something is missing.
        if ! (cd "$HERE" && JAVA_HOME="$JAVA_HOME_FOR_ES" mvn -B -q -o package >"$TARGET/mvn.log" 2>&1); then
            (cd "$HERE" && JAVA_HOME="$JAVA_HOME_FOR_ES" mvn -B -q package >"$TARGET/mvn.log" 2>&1) || {
                log "Maven build failed:"; tail -n 40 "$TARGET/mvn.log" >&2; exit 1; }
        fi
        echo "$want" >"$STAMP"
    fi
) 9>"$TARGET/.build.lock"

# --- start -------------------------------------------------------------------------------------
mkdir -p "$WORKDIR/elasticsearch/tmp"
rm -f "$PIDFILE"
log "starting on $URL (data: $WORKDIR/elasticsearch/data, log: $LOG)"
# shellcheck disable=SC2086
nohup "$JAVA_HOME_FOR_ES/bin/java" $JAVA_OPTS \
    -XX:+UseSerialGC -Xss1m \
    --enable-native-access=ALL-UNNAMED \
    -Djava.io.tmpdir="$WORKDIR/elasticsearch/tmp" \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
    -Des.networkaddress.cache.ttl=60 \
    -Dio.netty.allocator.numDirectArenas=0 \
    -XX:-HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError \
    -cp "$TARGET/elasticsearch-test-node-1.0.jar:$TARGET/lib/*" \
    autocompeter.ElasticsearchNode "$WORKDIR" "$PORT" ${ELASTICSEARCH_TRANSPORT_PORT:-} \
    >>"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"   # the JVM rewrites this file with its own pid as soon as it runs

start=$(date +%s)
while :; do
    if curl -sf --max-time 10 "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; then
        break
    fi
    if ! is_alive; then
        log "Elasticsearch exited during start-up; last 40 lines of $LOG:"
        tail -n 40 "$LOG" >&2
        # A port inside the ephemeral range can be held by some client's connection (or its
        # TIME-WAIT) at the moment the node binds, which curl's check above cannot see.
        if tail -n 400 "$LOG" | grep -q "Failed to bind to 127.0.0.1:$PORT"; then
            log "port $PORT was in use when the node bound it; pick one below $(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
        fi
        exit 1
    fi
    if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
        log "Elasticsearch not healthy on $URL after ${TIMEOUT}s; last 40 lines of $LOG:"
        tail -n 40 "$LOG" >&2
        "$HERE/stop.sh" "$WORKDIR" || true
        exit 1
    fi
    sleep 1
done

# Single node: new indices get 0 replicas so they become green, not yellow. ES has no
# cluster-wide default for that (OpenSearch does), so an index template matching every
# index does it; an index's own setting still wins.
curl -sf -XPUT "$URL/_index_template/autocompeter-test-single-node" -H 'Content-Type: application/json' \
    -d '{"index_patterns":["*"],"priority":0,"template":{"settings":{"number_of_replicas":0}}}' \
    >/dev/null || true

log "up after $(( $(date +%s) - start ))s, pid $(cat "$PIDFILE")"
echo "$URL"
