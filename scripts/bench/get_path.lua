-- GET a fixed path (BENCH_PATH, under the tenant's base path).
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done
response = c.response

function init(args)
  c.headers()
  path = c.env("BENCH_BASE_PATH", "") .. c.env("BENCH_PATH", "/Users")
end

function request()
  return wrk.format("GET", path)
end
