#!/usr/bin/env bash
# Stop the OpenSearch 3 node started by services/opensearch3/start.sh for WORKDIR (the same
# launcher class and pid file as 2.19's, so services/opensearch/stop.sh does it).
#
#   services/opensearch3/stop.sh WORKDIR
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../opensearch/stop.sh" "$@"
