-- wrk: POST BODY_FILE (env) to PATH_Q.
local path = os.getenv("PATH_Q")
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
function request()
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
dofile(os.getenv("BENCH_DIR") .. "/done.lua")
