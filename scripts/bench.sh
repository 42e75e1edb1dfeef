#!/usr/bin/env bash
# Load benchmark for scimd with public tools (wrk from Debian, Lua scripts in
# scripts/bench/). Builds scimd --release, starts it on a fresh SQLite
# database, seeds BENCH_USERS users and a group of BENCH_MEMBERS members, then
# runs each scenario for BENCH_DURATION seconds and prints throughput, p50/p99
# latency, non-2xx answers, the server's peak RSS and the CPU time per request
# (scimd's / PostgreSQL's processes', in microseconds).
#
#   scripts/bench.sh
#   BENCH_USERS=20000 BENCH_MEMBERS=20000 BENCH_DURATION=5 scripts/bench.sh
#   Other knobs: BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_PROFILE (release|dev).
#   BENCH_DATABASE=postgres://postgres@127.0.0.1:5432/postgres scripts/bench.sh
#       the same on PostgreSQL (a fresh schema, dropped at the end);
#   BENCH_NODES=2 (with BENCH_DATABASE) adds a second scimd on the same
#       database and a GET-by-id scenario spread over both nodes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BENCH_USERS="${BENCH_USERS:-100000}"
BENCH_MEMBERS="${BENCH_MEMBERS:-100000}"
DURATION="${BENCH_DURATION:-10}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export BENCH_LUA_DIR="$ROOT/scripts/bench"
export BENCH_THREADS="$THREADS"
export BENCH_SEED_THREADS="$THREADS"

if ((BENCH_MEMBERS > BENCH_USERS)); then
    echo "BENCH_MEMBERS ($BENCH_MEMBERS) cannot exceed BENCH_USERS ($BENCH_USERS)" >&2
    exit 1
fi

if ! command -v wrk >/dev/null; then
    echo "== installing wrk"
    if [[ "$(id -u)" == 0 ]]; then
        apt-get update -qq && apt-get install -y -qq wrk
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq wrk
    fi
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

# BENCH_PROFILE=dev benchmarks a debug build (a quick smoke test of this script).
PROFILE="${BENCH_PROFILE:-release}"
echo "== building scimd ($PROFILE)"
if [[ "$PROFILE" == release ]]; then
    cargo build -p scimd -p webhook-receiver --release
    SCIMD="$TARGET_DIR/release/scimd"
    RECEIVER="$TARGET_DIR/release/webhook-receiver"
else
    cargo build -p scimd -p webhook-receiver
    SCIMD="$TARGET_DIR/debug/scimd"
    RECEIVER="$TARGET_DIR/debug/webhook-receiver"
fi

WORK="$(mktemp -d)"
export BENCH_IDS_DIR="$WORK"
SERVER_PID=""
SERVER2_PID=""
RECEIVER_PID=""
NODES="${BENCH_NODES:-1}"
DB="sqlite://$WORK/scimd.db"
DROP_SCHEMA=""
if [[ -n "${BENCH_DATABASE:-}" ]]; then
    SCHEMA="scimd_bench_$$"
    psql "$BENCH_DATABASE" -qAtc "CREATE SCHEMA $SCHEMA" >/dev/null
    DROP_SCHEMA="$SCHEMA"
    sep='?'
    [[ "$BENCH_DATABASE" == *'?'* ]] && sep='&'
    DB="$BENCH_DATABASE${sep}options=-c%20search_path%3D$SCHEMA"
    export SCIMD_SECRETS_KEY="${SCIMD_SECRETS_KEY:-$(python3 -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')}"
elif ((NODES > 1)); then
    echo "BENCH_NODES > 1 needs BENCH_DATABASE (PostgreSQL)" >&2
    exit 1
fi
cleanup() {
    if [[ -n "$RECEIVER_PID" ]]; then kill "$RECEIVER_PID" 2>/dev/null || true; fi
    if [[ -n "$SERVER2_PID" ]]; then kill "$SERVER2_PID" 2>/dev/null || true; fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    if [[ -n "$DROP_SCHEMA" ]]; then psql "$BENCH_DATABASE" -qAtc "DROP SCHEMA $DROP_SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

echo "== starting scimd on a fresh database (${DB%%\?*})"
# No per-tenant rate limit: the benchmark measures the server, not the limit.
# Webhooks go to a receiver on loopback: private addresses allowed.
SCIMD_ALLOW_PRIVATE_WEBHOOKS=true SCIMD_RATE_LIMIT_PER_TENANT=0 SCIMD_RATE_LIMIT_PER_SOURCE=0 SCIMD_RATE_LIMIT_PER_CLIENT=0 RUST_LOG="${RUST_LOG:-warn}" "$SCIMD" serve --listen 127.0.0.1:0 --database "$DB" \
    >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    grep -q '^scimd listening on http://' "$WORK/stdout" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/stdout" "$WORK/stderr" >&2; exit 1; }
    sleep 0.2
done
ADDR="$(sed -n 's#^scimd listening on http://##p' "$WORK/stdout" | head -n1)"
export BENCH_TOKEN="$(sed -n 's#^SCIM token: ##p' "$WORK/stdout" | head -n1)"
export BENCH_BASE_PATH="$(sed -n 's#^SCIM base URL: https\{0,1\}://[^/]*##p' "$WORK/stdout" | head -n1)"
[[ -n "$ADDR" && -n "$BENCH_TOKEN" && -n "$BENCH_BASE_PATH" ]] || { cat "$WORK/stdout" >&2; exit 1; }
ORIGIN="http://$ADDR"
BASE="$ORIGIN$BENCH_BASE_PATH"
echo "scimd at $BASE (pid $SERVER_PID)"

api() { # method path [body]
    local method="$1" path="$2"
    shift 2
    curl -sS -f -X "$method" -H "Authorization: Bearer $BENCH_TOKEN" -H "Content-Type: application/scim+json" \
        "$BASE$path" "$@"
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# ---- seeding -----------------------------------------------------------------
echo "== seeding $BENCH_USERS users"
t0=$(date +%s)
BENCH_PREFIX=seed BENCH_QUOTA="$BENCH_USERS" wrk -t"$THREADS" -c"$CONNECTIONS" -d3600s \
    -s "$BENCH_LUA_DIR/create_users.lua" "$BASE/Users" >"$WORK/seed.out" &
WRK_PID=$!
# wrk runs for its duration even when every thread is done: watch the ids.
while kill -0 "$WRK_PID" 2>/dev/null; do
    n=$( (cat "$WORK"/seed-*.ids 2>/dev/null || true) | wc -l)
    ((n >= BENCH_USERS)) && break
    sleep 0.5
done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" || true
cat "$WORK"/seed-*.ids >"$WORK/seed.ids"
seeded=$(wc -l <"$WORK/seed.ids")
echo "seeded $seeded users in $(($(date +%s) - t0)) s ($(grep '^BENCH' "$WORK/seed.out" || true))"
echo "peak RSS after seeding: $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")"
total=$(api GET "/Users?count=0" | json_field "['totalResults']")
echo "server reports totalResults=$total"
shuf -n 1000 "$WORK/seed.ids" >"$WORK/sample.ids"
export BENCH_SAMPLE="$WORK/sample.ids"

echo "== seeding a group of $BENCH_MEMBERS members (PATCH add, 1,000 per request)"
t0=$(date +%s)
BIG=$(api POST /Groups -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"big"}' |
    json_field "['id']")
head -n "$BENCH_MEMBERS" "$WORK/seed.ids" >"$WORK/members.ids"
python3 - "$BASE/Groups/$BIG" "$BENCH_TOKEN" "$WORK/members.ids" <<'PY'
import json, sys, urllib.request
url, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
ids = [line.strip() for line in open(path) if line.strip()]
for i in range(0, len(ids), 1000):
    body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "add", "path": "members",
                                       "value": [{"value": v} for v in ids[i:i + 1000]]}]}).encode()
    req = urllib.request.Request(url, data=body, method="PATCH", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/scim+json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        if r.status not in (200, 204):
            sys.exit(f"PATCH add members: {r.status}")
PY
members=$(api GET "/Users?filter=groups.value%20eq%20%22$BIG%22&count=0" | json_field "['totalResults']")
echo "big group $BIG ready in $(($(date +%s) - t0)) s (users in it: $members); peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")"
SMALL_MEMBERS=$(head -n 10 "$WORK/sample.ids" | python3 -c 'import json,sys; print(json.dumps([{"value": l.strip()} for l in sys.stdin]))')
SMALL=$(api POST /Groups -d "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"small\",\"members\":$SMALL_MEMBERS}" |
    json_field "['id']")

# ---- scenarios ----------------------------------------------------------------
declare -a RESULTS=()
# CPU time (clock ticks) of a process, and of every PostgreSQL process
# (the server's backends: what the database spent; 0 on SQLite).
TICK=$(getconf CLK_TCK)
ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
db_ticks() {
    local t=0 p
    if [[ -n "$DROP_SCHEMA" ]]; then
        for p in $(pgrep -x postgres 2>/dev/null || true); do t=$((t + $(ticks_of "$p"))); done
    fi
    echo "$t"
}
run() { # name script [ENV=VALUE...]
    local name="$1" script="$2"
    shift 2
    echo "== $name (${DURATION}s, -t$THREADS -c$CONNECTIONS)"
    local out s0 d0 s1 d1
    s0=$(ticks_of "$SERVER_PID")
    d0=$(db_ticks)
    out=$(env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_LUA_DIR/$script" "$BASE/")
    s1=$(ticks_of "$SERVER_PID")
    d1=$(db_ticks)
    echo "$out" | grep -E 'Requests/sec|Latency  |Non-2xx|Socket errors|^BENCH' || true
    local line hwm n cpu
    line=$(echo "$out" | grep '^BENCH' | tail -n1)
    hwm=$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status")
    # CPU per request, in microseconds: scimd's, then the database's.
    n=$(echo "$line" | tr ' ' '\n' | sed -n 's/^requests=//p')
    cpu=$(python3 -c "n=max(int('${n:-0}' or 0),1); print(f'{($s1-$s0)*1e6/$TICK/n:.0f}/{($d1-$d0)*1e6/$TICK/n:.0f}')")
    RESULTS+=("$name|$line hwm_mb=$hwm cpu_us=$cpu")
}

# The machine's own ceiling in this run (no token, no store): the machine's
# speed varies from run to run, so the other figures are best read against it.
run "GET /healthz (baseline: HTTP only)" get_path.lua BENCH_RAW_PATH=/healthz
run "POST /Users" create_users.lua BENCH_PREFIX=load BENCH_QUOTA=0
cat "$WORK"/load-*.ids >"$WORK/pool.ids"
export BENCH_POOL="$WORK/pool.ids"
run "GET /Users/{id}" get_user.lua
if ((NODES > 1)); then
    # A second node on the same database; the same GET, half the
    # connections on each node (the sum is the figure).
    SCIMD_ALLOW_PRIVATE_WEBHOOKS=true SCIMD_RATE_LIMIT_PER_TENANT=0 SCIMD_RATE_LIMIT_PER_SOURCE=0 SCIMD_RATE_LIMIT_PER_CLIENT=0 RUST_LOG="${RUST_LOG:-warn}" \
        "$SCIMD" serve --listen 127.0.0.1:0 --database "$DB" >"$WORK/stdout2" 2>"$WORK/stderr2" &
    SERVER2_PID=$!
    for _ in $(seq 1 300); do
        grep -q '^scimd listening on http://' "$WORK/stdout2" 2>/dev/null && break
        sleep 0.2
    done
    ADDR2="$(sed -n 's#^scimd listening on http://##p' "$WORK/stdout2" | head -n1)"
    echo "== GET /Users/{id} over two nodes (${DURATION}s, -c$((CONNECTIONS / 2)) on each)"
    wrk -t1 -c$((CONNECTIONS / 2)) -d"${DURATION}s" -s "$BENCH_LUA_DIR/get_user.lua" "$BASE/" >"$WORK/node1.out" &
    w1=$!
    wrk -t1 -c$((CONNECTIONS / 2)) -d"${DURATION}s" -s "$BENCH_LUA_DIR/get_user.lua" "http://$ADDR2$BENCH_BASE_PATH/" >"$WORK/node2.out"
    wait "$w1"
    r1=$(sed -n 's/^Requests\/sec: *//p' "$WORK/node1.out")
    r2=$(sed -n 's/^Requests\/sec: *//p' "$WORK/node2.out")
    TWO_NODES="GET /Users/{id} over two nodes: $r1 + $r2 = $(python3 -c "print(round($r1 + $r2))") req/s"
    echo "$TWO_NODES"
fi
# The same GET with the other credentials (issue 11): an access token of
# scimd's token endpoint (EdDSA JWT), and a JWT of the tenant's own issuer
# (HS256, tenant in mode "both"); and the token endpoint itself.
TENANT="${BENCH_BASE_PATH##*/}"
CLIENT_JSON=$("$SCIMD" oauth-client create --tenant "$TENANT" --json --database "$DB")
CLIENT_ID=$(echo "$CLIENT_JSON" | json_field "['client_id']")
CLIENT_SECRET=$(echo "$CLIENT_JSON" | json_field "['client_secret']")
BASIC=$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)
ACCESS=$(curl -sS -f -X POST "$ORIGIN/oauth2/token" -H "Authorization: Basic $BASIC" \
    -d grant_type=client_credentials | json_field "['access_token']")
run "GET /Users/{id}, OAuth access token (EdDSA JWT)" get_user.lua BENCH_TOKEN="$ACCESS"
HS_SECRET="$(head -c 32 /dev/urandom | base64 -w0)"
printf '%s' "$HS_SECRET" >"$WORK/hs256"
"$SCIMD" tenant-auth set "$TENANT" --mode both --issuer https://bench.example --audience bench \
    --hs256-secret-file "$WORK/hs256" --required-group "" --database "$DB" >/dev/null
ISSUER_JWT=$(python3 - "$HS_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"iss": "https://bench.example", "aud": "bench", "sub": "bench",
                       "exp": int(time.time()) + 86400, "scope": "admin"}).encode())
sig = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
)
sleep 6 # the server's tenant cache takes the new settings up
run "GET /Users/{id}, tenant issuer's JWT (HS256)" get_user.lua BENCH_TOKEN="$ISSUER_JWT"
run "POST /oauth2/token (client credentials)" token_endpoint.lua BENCH_BASIC="$BASIC"
run "GET /Users?filter=userName eq" filter_username.lua
DEEP=$((BENCH_USERS > 100 ? BENCH_USERS - 100 : 1))
run "GET /Users deep page (startIndex=$DEEP)" get_path.lua "BENCH_PATH=/Users?startIndex=$DEEP&count=100"
# The same place by cursor (RFC 9865): walk there once, then ask for the page.
DEEP_CURSOR=$(python3 - "$BASE/Users" "$BENCH_TOKEN" "$((DEEP - 1))" <<'PY'
import json, sys, urllib.parse, urllib.request
url, token, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
cursor, seen = "", 0
while seen < skip:
    n = min(1000, skip - seen)
    q = urllib.parse.urlencode({"cursor": cursor, "count": n, "attributes": "id"})
    req = urllib.request.Request(f"{url}?{q}", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=60) as r:
        page = json.load(r)
    seen += page["itemsPerPage"]
    cursor = page["nextCursor"]
print(cursor)
PY
)
run "GET /Users deep page (cursor at $DEEP)" get_path.lua "BENCH_PATH=/Users?cursor=$DEEP_CURSOR&count=100"
run "PATCH user displayName" patch_user.lua
run "PATCH add member, big group" add_member.lua BENCH_GROUP="$BIG" BENCH_POOL_OFFSET=0
run "PATCH add member, 10-member group" add_member.lua BENCH_GROUP="$SMALL" BENCH_POOL_OFFSET=$(( $(wc -l <"$WORK/pool.ids") / 2 ))
run "GET big group, excludedAttributes=members" get_path.lua "BENCH_PATH=/Groups/$BIG?excludedAttributes=members"
# The admin API's members pages (keyset on the member id): a page of the
# big group should cost what a page of the 10-member group does.
ADMIN_TOKEN=$("$SCIMD" admin-token create --scope tenants:read --json --database "$DB" |
    json_field "['token']")
run "admin: members page, big group (limit=10)" get_path.lua BENCH_TOKEN="$ADMIN_TOKEN" \
    "BENCH_RAW_PATH=/admin/v1/tenants/$TENANT/groups/$BIG/members?limit=10"
run "admin: members page, 10-member group (limit=10)" get_path.lua BENCH_TOKEN="$ADMIN_TOKEN" \
    "BENCH_RAW_PATH=/admin/v1/tenants/$TENANT/groups/$SMALL/members?limit=10"

# ---- webhooks (issue 12) ------------------------------------------------------
# One endpoint, the example receiver (examples/webhook-receiver) on loopback;
# it prints one line per event with lag_ms, the time from the change's
# commit (occurred_at) to its arrival.
declare -a HOOK_RESULTS=()
HOOK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HOOK_JSON=$(SCIMD_ALLOW_PRIVATE_WEBHOOKS=true "$SCIMD" webhook add --url "http://127.0.0.1:$HOOK_PORT/webhooks" --tenants "$TENANT" \
    --json --database "$DB")
HOOK_ID=$(echo "$HOOK_JSON" | json_field "['webhook']['id']")
WEBHOOK_SECRET=$(echo "$HOOK_JSON" | json_field "['secret']") LISTEN="127.0.0.1:$HOOK_PORT" "$RECEIVER" \
    >"$WORK/received" 2>"$WORK/receiver.err" &
RECEIVER_PID=$!
delivered() { wc -l <"$WORK/received"; }
drain() { # waits until $1 events have arrived (at most 300 s); prints the seconds taken
    local want="$1" t0 now
    t0=$(date +%s.%N)
    for _ in $(seq 1 3000); do
        (($(delivered) >= want)) && break
        sleep 0.1
    done
    now=$(date +%s.%N)
    python3 -c "print(f'{$now - $t0:.2f}')"
}
lags() { # p50/p99 of lag_ms over lines $1.. of the receiver's output
    tail -n "+$1" "$WORK/received" | sed -n 's/.*lag_ms=//p' | sort -n | python3 -c '
import sys
v = [int(x) for x in sys.stdin if x.strip()]
q = lambda p: v[min(len(v) - 1, int(len(v) * p))] if v else -1
print(f"n={len(v)} p50_ms={q(0.50)} p99_ms={q(0.99)} max_ms={v[-1] if v else -1}")'
}
sleep 1 # the worker reads the new endpoint
# Write throughput with one endpoint, against "POST /Users" above.
before=$(delivered)
run "POST /Users, one webhook endpoint" create_users.lua BENCH_PREFIX=hooked BENCH_QUOTA=0
written=$(( $(cat "$WORK"/hooked-*.ids | wc -l) ))
secs=$(drain $((before + written)))
HOOK_RESULTS+=("events of that run delivered: $(($(delivered) - before)) of $written, the last ${secs}s after the run; lag $(lags $((before + 1)))")
# Deliveries per second: a backlog queued while the endpoint is disabled,
# then sent at once.
"$SCIMD" webhook disable "$HOOK_ID" --database "$DB" >/dev/null
BACKLOG="${BENCH_WEBHOOK_BACKLOG:-20000}"
BENCH_PREFIX=backlog BENCH_QUOTA="$BACKLOG" wrk -t"$THREADS" -c"$CONNECTIONS" -d3600s \
    -s "$BENCH_LUA_DIR/create_users.lua" "$BASE/Users" >"$WORK/backlog.out" &
WRK_PID=$!
while kill -0 "$WRK_PID" 2>/dev/null; do
    n=$( (cat "$WORK"/backlog-*.ids 2>/dev/null || true) | wc -l)
    ((n >= BACKLOG)) && break
    sleep 0.5
done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" || true
before=$(delivered)
"$SCIMD" webhook enable "$HOOK_ID" --database "$DB" >/dev/null
secs=$(drain $((before + BACKLOG)))
got=$(($(delivered) - before))
HOOK_RESULTS+=("backlog of $BACKLOG events: $got delivered in ${secs}s = $(python3 -c "print(round($got / max($secs, 0.01)))") deliveries/s")
# Commit-to-delivery latency under a steady write load (~500 writes/s:
# 7 connections, each waiting 10 ms between requests).
before=$(delivered)
echo "== paced writes with delivery (${DURATION}s, -t1 -c7, 10 ms between requests per connection)"
paced=$(BENCH_PREFIX=paced BENCH_DELAY_MS=10 wrk -t1 -c7 -d"${DURATION}s" --latency -s "$BENCH_LUA_DIR/create_users.lua" "$BASE/")
rate=$(echo "$paced" | sed -n 's/^Requests\/sec: *//p')
written=$(( $(cat "$WORK"/paced-*.ids | wc -l) ))
drain $((before + written)) >/dev/null
HOOK_RESULTS+=("steady load of $rate writes/s: commit-to-delivery $(lags $((before + 1)))")

members_after=$(api GET "/Users?filter=groups.value%20eq%20%22$BIG%22&count=0" | json_field "['totalResults']")
HWM=$(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")

echo
echo "== summary: users=$BENCH_USERS members=$BENCH_MEMBERS duration=${DURATION}s wrk -t$THREADS -c$CONNECTIONS, $(nproc) CPUs"
printf '%-46s %10s %10s %10s %8s %7s %9s %12s  %s\n' "scenario" "req/s" "p50 ms" "p99 ms" "non-2xx" "sockerr" "peak MB" "CPU µs/req" "statuses"
for r in "${RESULTS[@]}"; do
    name="${r%%|*}"
    line="${r#*|}"
    get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    printf '%-46s %10s %10s %10s %8s %7s %9s %12s  %s\n' "$name" "$(get rps)" "$(get p50_ms)" "$(get p99_ms)" "$(get non2xx)" "$(get socket_errors)" "$(get hwm_mb)" "$(get cpu_us)" "$(get statuses)"
done
echo "big group members: $members before the PATCH scenarios, $members_after after"
echo "webhooks (one endpoint, examples/webhook-receiver on loopback, max_in_flight 16):"
for r in "${HOOK_RESULTS[@]}"; do echo "  $r"; done
echo "scimd peak RSS (VmHWM): $HWM"
if [[ -n "${TWO_NODES:-}" ]]; then echo "$TWO_NODES"; fi
echo "database: ${DB%%\?*}"
if [[ -n "$DROP_SCHEMA" ]]; then
    echo "database size: $(psql "$BENCH_DATABASE" -qAtc "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$DROP_SCHEMA' AND c.relkind IN ('r', 'm')")"
else
    echo "database size: $(du -sh "$WORK" | cut -f1)"
fi
