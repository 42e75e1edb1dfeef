#!/usr/bin/env bash
# Makes sure a PostgreSQL server (15 or later) answers on 127.0.0.1:5432 with
# trust auth for the user postgres, for the tests on PostgreSQL: installs
# Debian's package when it is missing (as root), starts the cluster when it
# is down. Prints the URL the tests use.
#
#   scripts/postgres.sh        # by hand, or from scripts/test.sh
set -euo pipefail

URL="${SCIMD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

answers() { psql "$URL" -qAtc 'SELECT 1' >/dev/null 2>&1; }

if command -v psql >/dev/null && answers; then
    echo "$URL"
    exit 0
fi

if ! command -v pg_ctlcluster >/dev/null; then
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
        echo "PostgreSQL is not installed: install PostgreSQL 15 or later (Debian: apt-get install postgresql)" >&2
        exit 1
    fi
    echo "== installing PostgreSQL (Debian package)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >&2
fi

version="$(ls /etc/postgresql | sort -n | tail -n1)"
conf="/etc/postgresql/$version/main"
# Trust auth on loopback, as the tests expect (a test machine only).
if [[ -w "$conf/pg_hba.conf" ]] && ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
fi
echo "== starting PostgreSQL $version" >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || pg_ctlcluster --skip-systemctl-redirect "$version" main reload >&2 || true
for _ in $(seq 1 30); do
    if answers; then
        echo "$URL"
        exit 0
    fi
    sleep 1
done
echo "PostgreSQL did not answer at $URL" >&2
exit 1
