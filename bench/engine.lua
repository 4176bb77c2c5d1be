-- wrk script: the service's own search body sent straight to Elasticsearch/OpenSearch.
-- Usage: wrk ... -s bench/engine.lua http://127.0.0.1:PORT/ALIAS/_search -- BODY_FILE
dofile("bench/report.lua")  -- done(): one WRK_JSON line

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
