-- wrk script for bench/http/run.sh. Environment: WRK_METHOD (GET|POST), WRK_BODY (file sent as the body),
-- WRK_CTYPE (its Content-Type). The same script runs for every route, so the client's cost is the same for the
-- /static baseline and the routes measured against it. Prints one line: STATUS ok=N other=M (ok: 200 or 202).
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body_file = os.getenv("WRK_BODY")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = os.getenv("WRK_CTYPE") or "application/json"
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; other = 0 end
function response(status, headers, body)
  if status == 200 or status == 202 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local n_ok, n_other = 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_other = n_other + t:get("other")
  end
  io.write(string.format("STATUS ok=%d other=%d\n", n_ok, n_other))
end
