-- wrk: GET PATH (env) with an optional bearer token.
local path = os.getenv("PATH_Q") or "/healthz"
local token = os.getenv("TOKEN") or ""
function request()
  local h = {}
  if token ~= "" then h["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, h)
end
dofile(os.getenv("BENCH_DIR") .. "/done.lua")
