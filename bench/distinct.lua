-- wrk script: every request a different query, from a file of request paths
-- (bench/workload.py writes it). Each wrk thread walks its own contiguous slice of
-- the file, so no query repeats within a run unless a thread gets through its
-- whole slice; then it starts its slice again and done() reports how many repeated.
-- Usage: wrk -tT ... -s bench/distinct.lua http://127.0.0.1:PORT -- PATHS_FILE T
dofile("bench/report.lua")  -- done(): one WRK_JSON line
local report_done = done

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  local count = tonumber(args[2])
  local first = math.floor(#paths * id / count) + 1
  local last = math.floor(#paths * (id + 1) / count)
  requests = {}
  for i = first, last do
    requests[#requests + 1] = wrk.format("GET", paths[i])
  end
  slice = #requests
  sent = 0
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % slice + 1]
end

done = function(summary, latency, requests_)
  report_done(summary, latency, requests_)
  local sent_total, repeated = 0, 0
  for _, thread in ipairs(threads) do
    local thread_sent, thread_slice = thread:get("sent"), thread:get("slice")
    sent_total = sent_total + thread_sent
    repeated = repeated + math.max(0, thread_sent - thread_slice)
  end
  io.write(string.format('WRK_DISTINCT {"sent": %d, "repeated": %d}\n', sent_total, repeated))
end
