-- GET /Users?filter=userName eq "seed-<t>-<n>" over the seeded names.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

function init(args)
  c.headers()
  base = c.env("BENCH_BASE_PATH", "")
  seed_threads = tonumber(c.env("BENCH_SEED_THREADS", "1"))
  per_thread = math.max(1, math.floor(tonumber(c.env("BENCH_USERS", "1")) / seed_threads))
  math.randomseed(tid * 104729)
end

function request()
  local name = "seed-" .. math.random(seed_threads) .. "-" .. math.random(per_thread)
  return wrk.format("GET", base .. "/Users?filter=userName%20eq%20%22" .. name .. "%22")
end
