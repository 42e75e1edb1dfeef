-- POST /oauth2/token (client credentials, HTTP Basic): BENCH_BASIC is the
-- base64 of "client_id:client_secret".
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done
response = c.response

function init(args)
  wrk.method = "POST"
  wrk.path = "/oauth2/token"
  wrk.headers["Authorization"] = "Basic " .. c.env("BENCH_BASIC", "")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = "grant_type=client_credentials&scope=admin"
end
