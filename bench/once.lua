-- wrk script: every request path of a file sent once (bench/tiers.py). Each wrk
-- thread walks its own contiguous slice, as bench/distinct.lua; once all of its
-- slice is answered it prints "ONCE_DONE" and stops, and the bench ends wrk with a
-- SIGINT when every thread has (wrk would otherwise sleep out its -d duration).
-- A thread keeps its connections busy until the last answer comes, so up to its
-- connection count of requests at the end repeat a query: done() reports them, and
-- every request sent (the server answers those in flight too, unread).
-- Usage: wrk -tT ... -s bench/once.lua http://127.0.0.1:PORT -- PATHS_FILE T
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
  answered = 0
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % slice + 1]
end

function response(status, headers, body)
  answered = answered + 1
  if answered == slice then
    io.write("ONCE_DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests_)
  report_done(summary, latency, requests_)
  local sent_total, repeated = 0, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    repeated = repeated + math.max(0, thread:get("sent") - thread:get("slice"))
  end
  io.write(string.format('WRK_DISTINCT {"sent": %d, "repeated": %d}\n', sent_total, repeated))
end
