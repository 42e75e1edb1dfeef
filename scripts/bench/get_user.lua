-- GET /Users/{id} over a sample of existing ids.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

function init(args)
  c.headers()
  ids = c.read_lines(c.env("BENCH_SAMPLE", "sample.ids"))
  base = c.env("BENCH_BASE_PATH", "")
  math.randomseed(tid * 7919)
end

function request()
  return wrk.format("GET", base .. "/Users/" .. ids[math.random(#ids)])
end
