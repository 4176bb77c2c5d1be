#!/usr/bin/env bash
# Start a real single-node OpenSearch 3.9.0 on 127.0.0.1:PORT, data under WORKDIR/opensearch/:
# services/opensearch/start.sh (same arguments, env and output, NODES included) with this
# directory's launcher, run by Java 25 (OpenSearch 3 needs 21+).
#
#   services/opensearch3/start.sh WORKDIR PORT
#
# Give it a WORKDIR of its own: a 2.19 node's data is not for a 3.x node (nor back).
# Env: OPENSEARCH3_JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64), and those of
#      services/opensearch/start.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OPENSEARCH_LAUNCHER="$HERE"
export OPENSEARCH_JAVA_HOME="${OPENSEARCH3_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ ! -x "$OPENSEARCH_JAVA_HOME/bin/java" ]; then
    echo "[opensearch3] needs Java 21 or later: no $OPENSEARCH_JAVA_HOME/bin/java (set OPENSEARCH3_JAVA_HOME)" >&2
    exit 1
fi
exec bash "$HERE/../opensearch/start.sh" "$@"
