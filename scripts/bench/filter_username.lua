-- GET /Users?filter=userName eq "seed-<t>-<n>" over the seeded names.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

function init(args)
  c.headers()
  seed_threads = tonumber(c.env("BENCH_SEED_THREADS", "1"))
  per_thread = math.max(1, math.floor(tonumber(c.env("BENCH_USERS", "1")) / seed_threads))
  -- One request per seeded user, built once (see get_user.lua); each
  -- request asks for any of them.
  local template = wrk.format("GET", c.env("BENCH_BASE_PATH", "") .. "/Users?filter=userName%20eq%20%22@NAME@%22")
  local at = template:find("@NAME@", 1, true)
  local head, tail = template:sub(1, at - 1), template:sub(at + 6)
  reqs = {}
  for t = 1, seed_threads do
    for n = 1, per_thread do
      reqs[#reqs + 1] = head .. "seed-" .. t .. "-" .. n .. tail
    end
  end
  math.randomseed(tid * 104729)
end

function request()
  return reqs[math.random(#reqs)]
end
