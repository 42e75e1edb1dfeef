-- PATCH /Groups/{BENCH_GROUP}: add one member per request, walking through a
-- pool of users that are in no group yet (each thread takes its own stride).
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done
response = c.response

function init(args)
  c.headers()
  pool = c.read_lines(c.env("BENCH_POOL", "pool.ids"))
  threads = tonumber(c.env("BENCH_THREADS", "1"))
  group = c.env("BENCH_GROUP", "")
  base = c.env("BENCH_BASE_PATH", "")
  -- Start at a different place per scenario so the two groups use different users.
  i = tid + tonumber(c.env("BENCH_POOL_OFFSET", "0"))
end

function request()
  local id = pool[((i - 1) % #pool) + 1]
  i = i + threads
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
    '{"op":"add","path":"members","value":[{"value":"' .. id .. '"}]}]}'
  return wrk.format("PATCH", base .. "/Groups/" .. group, nil, body)
end
