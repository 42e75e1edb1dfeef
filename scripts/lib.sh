# Shared by the scripts that test a running scimd (conformance.sh,
# admin-api.sh): a pinned Python environment, and a scimd started on a fresh
# database and stopped on exit. Source it; it defines functions only.

# ensure_venv VENV REQUIREMENTS: a virtualenv at VENV holding exactly the
# pinned REQUIREMENTS (installed with --no-deps, then `pip check`); rebuilt
# only when the requirements file changes.
ensure_venv() {
    local venv="$1" reqs="$2" python="${PYTHON:-python3}"
    local stamp="$venv/.requirements.sha256" want
    want="$(sha256sum "$reqs" | cut -d' ' -f1)"
    if [[ -x "$venv/bin/python" ]] && [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
        return 0
    fi
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # Debian's python3 lacks ensurepip until python3-venv is installed.
        if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$venv"
            "$python" -m venv "$venv"
        else
            echo "cannot create a virtualenv with $python" >&2
            return 1
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$reqs"
    "$venv/bin/python" -m pip check
    echo "$want" >"$stamp"
}

# start_scimd SCIMD WORK [serve flags…]: starts `SCIMD serve` on a free
# loopback port with the database in WORK (created when missing) or, with
# BACKEND=postgres, in a fresh schema of $SCIMD_TEST_POSTGRES_URL (dropped on
# exit; a random secrets key in the environment), waits for
# its listening line and sets SERVER_PID and ADDR (host:port). Its stdout and
# stderr are WORK/stdout and WORK/stderr. A trap stops it and removes WORK on
# exit.
start_scimd() {
    local scimd="$1" work="$2"
    shift 2
    local database="sqlite://$work/scimd.db" cleanup=""
    if [[ "${BACKEND:-sqlite}" == postgres ]]; then
        local pg="${SCIMD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
        local schema="scimd_script_$$_$RANDOM"
        psql "$pg" -qAtc "CREATE SCHEMA $schema" >/dev/null
        local sep='?'
        [[ "$pg" == *'?'* ]] && sep='&'
        database="$pg${sep}options=-c%20search_path%3D$schema"
        cleanup="psql '$pg' -qAtc 'DROP SCHEMA IF EXISTS $schema CASCADE' >/dev/null 2>&1 || true;"
        export SCIMD_SECRETS_KEY="${SCIMD_SECRETS_KEY:-$(python3 -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')}"
    fi
    "$scimd" serve --listen 127.0.0.1:0 --database "$database" "$@" >"$work/stdout" 2>"$work/stderr" &
    SERVER_PID=$!
    # shellcheck disable=SC2064 # expand now: the values of this call.
    trap "kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; $cleanup rm -rf '$work'" EXIT INT TERM
    for _ in $(seq 1 300); do
        grep -q '^scimd listening on http://' "$work/stdout" 2>/dev/null && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "scimd exited before listening:" >&2
            cat "$work/stdout" "$work/stderr" >&2
            return 1
        fi
        sleep 0.2
    done
    if ! grep -q '^scimd listening on http://' "$work/stdout"; then
        echo "scimd did not print its listening line in 60 s" >&2
        cat "$work/stdout" "$work/stderr" >&2
        return 1
    fi
    ADDR="$(sed -n 's#^scimd listening on http://##p' "$work/stdout" | head -n1 | tr -d '\r')"
}
