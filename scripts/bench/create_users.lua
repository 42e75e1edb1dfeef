-- POST /Users with unique userNames "<BENCH_PREFIX>-<thread>-<n>"; writes the
-- created ids to BENCH_IDS_DIR/<prefix>-<thread>.ids. With BENCH_QUOTA (total
-- users, spread over the threads) a thread repeats its last name once its share
-- is sent (harmless 409s); bench.sh stops wrk when all ids are written.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done

-- BENCH_DELAY_MS paces each connection (a steady write rate: connections
-- × 1000 / (delay + latency) per second).
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pace > 0 then
  function delay() return pace end
end

function init(args)
  c.headers()
  local total = tonumber(c.env("BENCH_QUOTA", "0"))
  local threads = tonumber(c.env("BENCH_THREADS", "1"))
  quota = 0
  if total > 0 then
    quota = math.floor(total / threads)
    if tid <= total % threads then quota = quota + 1 end
  end
  prefix = c.env("BENCH_PREFIX", "load")
  base = c.env("BENCH_BASE_PATH", "")
  sent = 0
  out = io.open(c.env("BENCH_IDS_DIR", ".") .. "/" .. prefix .. "-" .. tid .. ".ids", "w")
  out:setvbuf("line")
end

function request()
  sent = sent + 1
  local n = sent
  -- Past the quota, repeat the last name: a harmless 409 until bench.sh stops
  -- wrk. One name more than the share: wrk calls request() once on the first
  -- thread to inspect it, without sending it.
  if quota > 0 and n > quota + 1 then n = quota + 1 end
  return wrk.format("POST", base .. "/Users", nil, c.user_body(prefix .. "-" .. tid .. "-" .. n))
end

function response(status, headers, body)
  c.response(status, headers, body)
  if status == 201 then
    local id = body:match('"id"%s*:%s*"([^"]+)"')
    if id then out:write(id, "\n") end
  end
end
