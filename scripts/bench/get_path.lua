-- GET a fixed path: BENCH_PATH under the tenant's base path, or
-- BENCH_RAW_PATH as it is (for /healthz).
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

-- A fixed request: wrk builds it once per thread, no Lua per request.
function init(args)
  c.headers()
  wrk.path = c.env("BENCH_RAW_PATH", c.env("BENCH_BASE_PATH", "") .. c.env("BENCH_PATH", "/Users"))
end
