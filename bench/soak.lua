-- wrk script for `make soak`: searches with some writes mixed in, paced by delay().
-- Usage: wrk -t2 -cN -dS -s bench/soak.lua URL -- KEY DOMAIN DELAY_MS WRITE_EVERY
dofile("bench/report.lua")  -- done(): one WRK_JSON line

local queries = {"p", "py", "pyt", "python", "python mod", "pyhton", "lib", "libc dev",
                 "gnome", "zzqx", "x", "perl mod", "font", "kernel"}
local key, domain, pause, write_every
local counter = 0

function init(args)
  key, domain = args[1], args[2]
  pause, write_every = tonumber(args[3]), tonumber(args[4])
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function delay()
  return pause
end

function request()
  counter = counter + 1
  if counter % write_every == 0 then
    local n = math.random(0, 499)
    local body = string.format(
      '{"url": "https://soak.example/%d", "title": "Soak title %d written at %d", "popularity": %d}',
      n, n, counter, math.random(0, 100))
    return wrk.format("POST", "/v1", {["Auth-Key"] = key, ["Content-Type"] = "application/json"}, body)
  end
  local q = queries[math.random(#queries)]:gsub(" ", "+")
  return wrk.format("GET", "/v1?d=" .. domain .. "&q=" .. q)
end
