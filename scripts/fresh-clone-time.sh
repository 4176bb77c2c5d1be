#!/bin/bash
# Seconds from `git clone` to the first answer of a demo search with `make run`,
# as a new user would start: bash scripts/fresh-clone-time.sh [REPOSITORY]
# Uses port 8000 (what make run serves); pip's cache makes a second run quicker.
set -eu
repository=${1:-$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)}
checkout=$(mktemp -d)/autocompeter
start=$(date +%s.%N)
git clone -q "$repository" "$checkout"
cd "$checkout"
make run > make-run.log 2>&1 &
make_pid=$!
until curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8000/v1?d=demo&q=json+du' \
    | grep -q 200; do
  kill -0 "$make_pid" 2>/dev/null || { cat make-run.log; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
echo "fresh clone to first search answer: $(echo "$end - $start" | bc) s" \
     "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
serve_pid=$(ps -o pid= --ppid "$make_pid")  # the serve process make started
kill -TERM $serve_pid
for _ in $(seq 100); do kill -0 $serve_pid 2>/dev/null || break; sleep 0.2; done
if kill -0 $serve_pid 2>/dev/null; then
  echo "serve did not stop within 20 s of SIGTERM; killing it" >&2
  kill -KILL $(ps -o pid= --ppid $serve_pid) $serve_pid 2>/dev/null || true
fi
wait "$make_pid" || true
rm -rf "$(dirname "$checkout")"
