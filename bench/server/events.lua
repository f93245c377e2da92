-- wrk: POST /api/v1/events with a fresh batch of deploys per request. Every
-- request uses its own stream (service), so the batches never collide.
local counter = 0
local thread_id = 0
local batch = tonumber(os.getenv("BATCH") or "100")
local token = os.getenv("TOKEN")

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  counter = counter + 1
  local svc = string.format("svc-%d-%d-%d", tid or 0, counter, math.random(1, 1000000000))
  local lines = {}
  for i = 1, batch do
    lines[i] = string.format(
      '{"type":"deploy","id":"%s-%d","service":"%s","env":"prod","commit":"c%d","status":"success","time":"2026-03-02T%02d:%02d:%02dZ"}',
      svc, i, svc, i, math.floor(i / 3600) % 24, math.floor(i / 60) % 60, i % 60)
  end
  return wrk.format("POST", "/api/v1/events",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/x-ndjson"},
    table.concat(lines, "\n") .. "\n")
end

dofile(os.getenv("BENCH_DIR") .. "/done.lua")
