-- Shared by the bench scenarios: auth headers, file helpers and a
-- machine-readable summary line that scripts/bench.sh parses.
local M = {}

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

function M.headers()
  wrk.headers["Authorization"] = "Bearer " .. M.env("BENCH_TOKEN", "")
  wrk.headers["Content-Type"] = "application/scim+json"
  wrk.headers["Accept"] = "application/scim+json"
end

function M.read_lines(path)
  local t = {}
  for line in io.lines(path) do
    if #line > 0 then t[#t + 1] = line end
  end
  return t
end

-- Numbers the threads 1..T (setup runs in the main Lua state).
local threads = {}
function M.setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

-- Tallies the non-2xx statuses per thread (in the thread's Lua state).
-- Read scenarios leave this hook out: wrk then hands no response to Lua,
-- which halves its own CPU per request on a machine it shares with scimd;
-- wrk still counts statuses >= 400 itself (non2xx), and the breakdown
-- shows "unrecorded".
function M.response(status, headers, body)
  codes = codes or {}
  if status < 200 or status > 299 then
    local k = tostring(status)
    codes[k] = (codes[k] or 0) + 1
  end
end

local function status_summary()
  local total = {}
  local recorded = false
  for _, t in ipairs(threads) do
    local c = t:get("codes")
    if type(c) == "table" then
      recorded = true
      for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
    end
  end
  if not recorded then return "unrecorded" end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = k .. "x" .. v end
  table.sort(parts)
  if #parts == 0 then return "-" end
  return table.concat(parts, ",")
end

function M.done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d statuses=%s\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, status_summary()))
end

function M.user_body(name)
  return '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","displayName":"User ' .. name .. '","name":{"givenName":"Bench","familyName":"' .. name ..
    '"},"emails":[{"value":"' .. name .. '@example.com","type":"work","primary":true}],"active":true}'
end

return M
