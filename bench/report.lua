-- wrk script: after the run, print one line "WRK_JSON {...}" with req/s,
-- latency percentiles (milliseconds) and error counts, for bench/run.py.
-- Usage: wrk -t2 -c50 -d10s -s bench/report.lua 'http://127.0.0.1:PORT/v1?d=...&q=...'

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.6f, "rps": %.3f, "bytes": %d, ' ..
    '"p50_ms": %.4f, "p90_ms": %.4f, "p99_ms": %.4f, "max_ms": %.4f, "mean_ms": %.4f, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
