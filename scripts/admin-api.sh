#!/usr/bin/env bash
# Checks the admin API against its own OpenAPI 3.1 document: validates the
# document (openapi-spec-validator), then runs schemathesis (pinned in
# scripts/admin-api/requirements.txt) against a freshly started scimd for a
# bounded time. Fails on any server error, undocumented status, header or
# body, or a request outside the schema that is accepted.
#
#   scripts/admin-api.sh                    # by hand or from .ci/run
#   SCHEMATHESIS_SECONDS=30 scripts/admin-api.sh
#
# One check is left out: positive_data_acceptance (every schema-valid
# request must succeed). Opaque values a schema cannot describe fail it by
# design: a made-up cursor is 422, a stale If-Match 412.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET_DIR/admin-api-venv"
REQS="$ROOT/scripts/admin-api/requirements.txt"
SECONDS_BUDGET="${SCHEMATHESIS_SECONDS:-60}"
PYTHON="${PYTHON:-python3}"

echo "== admin API: python environment ($VENV)"
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV"
        else
            echo "cannot create a virtualenv with $PYTHON" >&2
            exit 1
        fi
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQS"
    "$VENV/bin/python" -m pip check
    echo "$want" >"$stamp"
fi

echo "== admin API: building scimd"
cargo build -p scimd ${CI:+--locked}
SCIMD="$TARGET_DIR/debug/scimd"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

DB="sqlite://$WORK/scimd.db"
"$SCIMD" init --database "$DB" >/dev/null
ADMIN_TOKEN="$("$SCIMD" admin-token create --name schemathesis --json --database "$DB" |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

echo "== admin API: starting scimd on a fresh database"
# Without the per-source limit: schemathesis sends refused requests by the thousand.
SCIMD_RATE_LIMIT_PER_SOURCE=0 "$SCIMD" serve --listen 127.0.0.1:0 --database "$DB" >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    grep -q '^scimd listening on http://' "$WORK/stdout" 2>/dev/null && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "scimd exited before listening:" >&2
        cat "$WORK/stdout" "$WORK/stderr" >&2
        exit 1
    fi
    sleep 0.2
done
ADDR="$(sed -n 's#^scimd listening on http://##p' "$WORK/stdout" | head -n1 | tr -d '\r')"
[[ -n "$ADDR" ]] || { echo "scimd did not print its listening line" >&2; exit 1; }
SPEC="http://$ADDR/admin/v1/openapi.json"

echo "== admin API: validating $SPEC"
"$VENV/bin/python" - "$SPEC" <<'PY'
import json, sys, urllib.request
from openapi_spec_validator import validate
spec = json.load(urllib.request.urlopen(sys.argv[1]))
assert spec["openapi"].startswith("3.1"), spec["openapi"]
validate(spec)
print(f"valid OpenAPI {spec['openapi']}: {len(spec['paths'])} paths")
PY

echo "== admin API: schemathesis for ${SECONDS_BUDGET}s"
status=0
"$VENV/bin/schemathesis" run "$SPEC" -H "Authorization: Bearer $ADMIN_TOKEN" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-time "$SECONDS_BUDGET" --max-examples 50 --warnings off || status=$?
if [[ $status -ne 0 ]]; then
    echo "-- scimd log (last 50 lines)"
    tail -n 50 "$WORK/stderr" || true
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "scimd died during the schemathesis run" >&2
    status=1
fi
exit $status
