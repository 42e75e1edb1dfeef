-- PATCH /Users/{id}: replace displayName with a new value each time.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done
response = c.response

function init(args)
  c.headers()
  ids = c.read_lines(c.env("BENCH_SAMPLE", "sample.ids"))
  base = c.env("BENCH_BASE_PATH", "")
  math.randomseed(tid * 15485863)
  n = 0
end

function request()
  n = n + 1
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
    '{"op":"replace","path":"displayName","value":"Renamed ' .. tid .. "-" .. n .. '"}]}'
  return wrk.format("PATCH", base .. "/Users/" .. ids[math.random(#ids)], nil, body)
end
