-- GET /Users/{id} over a sample of existing ids.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

function init(args)
  c.headers()
  local base = c.env("BENCH_BASE_PATH", "")
  -- The requests are built once: formatting one per request cost wrk more
  -- CPU than it left to the server it shares the machine with.
  reqs = {}
  for _, id in ipairs(c.read_lines(c.env("BENCH_SAMPLE", "sample.ids"))) do
    reqs[#reqs + 1] = wrk.format("GET", base .. "/Users/" .. id)
  end
  math.randomseed(tid * 7919)
end

function request()
  return reqs[math.random(#reqs)]
end
