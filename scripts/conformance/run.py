#!/usr/bin/env python3
"""Run scim2-tester's check_server against a running scimd and print every result.

Usage: run.py --url http://127.0.0.1:PORT/scim/v2/default --token scimd_... [--min-checks N]

Exit status: 0 when no check ended in ERROR or CRITICAL and at least --min-checks
checks were executed (scim2-tester silently runs no resource check when discovery
does not describe the server, so a low count is a failure too); 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILING = {Status.ERROR, Status.CRITICAL}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="tenant SCIM base URL")
    parser.add_argument("--token", required=True, help="bearer token for the tenant")
    parser.add_argument("--min-checks", type=int, default=0, help="fail below this many executed checks")
    args = parser.parse_args()

    http = Client(
        base_url=args.url,
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=30.0,
    )
    scim = SyncSCIMClient(http)
    # No include/exclude tags and no resource type filter: every check runs.
    results = check_server(scim, raise_exceptions=False)

    counts: collections.Counter[str] = collections.Counter()
    failures = []
    for result in results:
        counts[result.status.name] += 1
        where = f"[{result.resource_type}] " if result.resource_type else ""
        reason = (result.reason or "").replace("\n", " ")
        print(f"{result.status.name:<10} {where}{result.title}: {reason}")
        if result.status in FAILING:
            failures.append(result)

    executed = sum(n for status, n in counts.items() if status != Status.SKIPPED.name)
    print()
    print("summary: " + ", ".join(f"{status}={n}" for status, n in sorted(counts.items())))
    print(f"executed checks: {executed} (minimum {args.min_checks})")
    ok = True
    if failures:
        print(f"{len(failures)} check(s) failed:")
        for result in failures:
            print(f"  - {result.status.name} {result.resource_type or ''} {result.title}: {result.reason}")
            if result.data is not None:
                print(f"      data: {str(result.data)[:2000]}")
        ok = False
    if executed < args.min_checks:
        print(f"too few checks executed ({executed} < {args.min_checks}): is discovery describing the server?")
        ok = False
    passed = executed - len(failures)
    # Plain closing line that CI readers understand.
    print(f"conformance: {passed} passed, {len(failures)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
