#!/usr/bin/env python3
"""Abuse probes: what a hostile or careless client costs a running scimd.

Each probe starts the given scimd binary on a fresh SQLite database, does
what DESIGN §8 says must not hurt, and prints one figure line. They measure
(the machine is shared: compare runs of one build against another in one
sitting, never against fixed numbers); the test suite asserts the limits.

    cargo build --release -p scimd
    scripts/probes.py all                      # every probe, target/release/scimd
    scripts/probes.py unindexed --scimd OLD    # one probe, another build

Probes:
  unindexed  RSS added by two concurrent `title co "zzz"` lists (no index
             serves them) on a tenant of 50,000 users, and their time.
  fairness   p99 of another tenant's GET /Users?count=10 while one tenant
             runs 16 concurrent full scans.
  patch      /healthz p99 and worst latency while two PATCHes of 10,000
             operations run on a user with 90 emails.
  unauth     database growth from 100,000 POSTs without a valid token.
  passwords  RSS after, and peak during, 128 concurrent POSTs with passwords.

Only the Python standard library; a probe's server is killed at its end.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


class Server:
    """A scimd on a fresh database, with tenants made by the CLI first."""

    def __init__(self, binary, tenants=("acme",), env=None):
        self.dir = tempfile.mkdtemp(prefix="scimd-probe-")
        self.db = f"sqlite://{self.dir}/scimd.db"
        self.binary = binary
        self.tokens = {}
        try:
            self.run("init")
        except subprocess.CalledProcessError:
            pass  # builds before `scimd init` create the database on first use
        for slug in tenants:
            self.run("tenant", "create", slug)
            out = self.run("token", "create", "--tenant", slug, "--json")
            self.tokens[slug] = json.loads(out)["token"]
        full_env = dict(os.environ, RUST_LOG="warn", SCIMD_RATE_LIMIT_PER_TENANT="0", **(env or {}))
        self.stdout = open(f"{self.dir}/stdout", "w+")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--database", self.db],
            stdout=self.stdout, stderr=subprocess.DEVNULL, env=full_env)
        deadline = time.time() + 60
        while time.time() < deadline:
            self.stdout.seek(0)
            for line in self.stdout:
                if line.startswith("scimd listening on http://"):
                    host, port = line.strip().rsplit("/", 1)[-1].rsplit(":", 1)
                    self.host, self.port = host, int(port)
                    return
            time.sleep(0.1)
        raise SystemExit("scimd did not start")

    def run(self, *args):
        return subprocess.run([self.binary, *args, "--database", self.db],
                              check=True, capture_output=True, text=True).stdout

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=300)

    def rss_mb(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def db_bytes(self):
        return sum(os.path.getsize(os.path.join(self.dir, f)) for f in os.listdir(self.dir) if f.startswith("scimd.db"))

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def call(conn, method, path, token=None, body=None):
    """One request on a kept-alive connection: (status, seconds, body)."""
    headers = {"Content-Type": "application/scim+json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    t = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    text = r.read()
    return r.status, time.perf_counter() - t, text


def seed(srv, slug, n, make):
    """Creates `n` users through Bulk, 500 per request, on two connections."""
    token = srv.tokens[slug]

    def worker(start, stop):
        c = srv.conn()
        for i in range(start, stop, 500):
            ops = [{"method": "POST", "path": "/Users", "bulkId": str(j), "data": make(j)}
                   for j in range(i, min(i + 500, stop))]
            status, _, text = call(c, "POST", f"/scim/v2/{slug}/Bulk", token,
                                   {"schemas": [BULK], "Operations": ops})
            assert status == 200, text[:300]
    half = n // 2
    threads = [threading.Thread(target=worker, args=a) for a in ((0, half), (half, n))]
    together(threads)


def together(threads):
    """Starts the threads and waits for them all."""
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


class Sampler(threading.Thread):
    """Polls the server's RSS every 5 ms until stopped; keeps the highest."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv, self.peak, self.stopped = srv, srv.rss_mb(), False

    def run(self):
        while not self.stopped:
            self.peak = max(self.peak, self.srv.rss_mb())
            time.sleep(0.005)

    def stop(self):
        self.stopped = True
        self.join()
        return self.peak


def unindexed(binary):
    srv = Server(binary)
    try:
        seed(srv, "acme", 50_000, lambda j: {"schemas": [USER], "userName": f"user{j}", "title": f"Engineer {j}",
                                             "emails": [{"value": f"user{j}@example.com", "type": "work"}]})
        base = srv.rss_mb()
        sampler = Sampler(srv)
        sampler.start()
        results = []

        def one():
            results.append(call(srv.conn(), "GET", '/scim/v2/acme/Users?count=10&filter=title%20co%20%22zzz%22',
                                srv.tokens["acme"]))
        t0 = time.perf_counter()
        threads = [threading.Thread(target=one) for _ in range(2)]
        together(threads)
        took = time.perf_counter() - t0
        peak = sampler.stop()
        statuses = sorted(r[0] for r in results)
        print(f"unindexed: two concurrent title co \"zzz\" on 50,000 users: +{peak - base:.0f} MB RSS "
              f"({base:.0f} -> {peak:.0f} MB), {took:.2f} s, statuses {statuses}")
    finally:
        srv.close()


def fairness(binary):
    srv = Server(binary, tenants=("heavy", "light"))
    try:
        seed(srv, "heavy", 50_000, lambda j: {"schemas": [USER], "userName": f"u{j}", "title": f"T{j}"})
        seed(srv, "light", 100, lambda j: {"schemas": [USER], "userName": f"u{j}"})
        stop = time.time() + 8
        scans, lat, errors = [0], [], [0]

        def heavy():
            c = srv.conn()
            while time.time() < stop:
                # A filter no index or SQL serves in full: a scan of the tenant.
                s, _, _ = call(c, "GET", "/scim/v2/heavy/Users?count=10&filter=title%20ew%20%22zzz%22%20or%20nickName%20pr",
                               srv.tokens["heavy"])
                scans[0] += 1

        def light():
            c = srv.conn()
            while time.time() < stop:
                s, t, _ = call(c, "GET", "/scim/v2/light/Users?count=10", srv.tokens["light"])
                if s == 200:
                    lat.append(t)
                else:
                    errors[0] += 1
        threads = [threading.Thread(target=heavy) for _ in range(16)] + [threading.Thread(target=light)]
        together(threads)
        print(f"fairness: other tenant GET /Users?count=10 under 16 full scans: {len(lat)} answers in 8 s, "
              f"p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms, max {max(lat) * 1000:.1f} ms, "
              f"{errors[0]} errors; heavy tenant {scans[0] / 8:.1f} scans/s")
    finally:
        srv.close()


def patch(binary):
    srv = Server(binary)
    try:
        token = srv.tokens["acme"]
        emails = [{"value": f"e{i}@example.com", "type": "work"} for i in range(90)]
        s, _, text = call(srv.conn(), "POST", "/scim/v2/acme/Users", token,
                          {"schemas": [USER], "userName": "fat", "emails": emails})
        assert s == 201, text[:300]
        uid = json.loads(text)["id"]
        ops = [{"op": "replace", "path": f'emails[value eq "e{i % 90}@example.com"].type', "value": "home" if i % 2 else "work"}
               for i in range(10_000)]
        lat, done, statuses = [], [], []

        def heavy():
            statuses.append(call(srv.conn(), "PATCH", f"/scim/v2/acme/Users/{uid}", token,
                                 {"schemas": [PATCH], "Operations": ops})[0])
            done.append(1)

        threads = [threading.Thread(target=heavy) for _ in range(2)]
        c = srv.conn()
        [t.start() for t in threads]
        t0 = time.perf_counter()
        while len(done) < 2:
            s, t, _ = call(c, "GET", "/healthz")
            lat.append(t)
        took = time.perf_counter() - t0
        [t.join() for t in threads]
        print(f"patch: /healthz during two 10,000-operation PATCHes ({took:.2f} s, statuses {sorted(statuses)}): "
              f"{len(lat)} answers, p99 {pct(lat, .99):.1f} ms, max {max(lat) * 1000:.1f} ms")
    finally:
        srv.close()


def unauth(binary):
    srv = Server(binary, env={"SCIMD_AUDIT_REFUSAL_WINDOW_SECS": "2"})
    try:
        time.sleep(1)
        before = srv.db_bytes()
        sent, statuses, lock = [0], {}, threading.Lock()
        body = {"schemas": [USER], "userName": "x" * 200, "displayName": "y" * 2000}

        def worker(n):
            c = srv.conn()
            for i in range(n):
                token = None if i % 2 else f"scimd_forged{i}"
                try:
                    s, _, _ = call(c, "POST", "/scim/v2/acme/Users", token, body)
                except (OSError, http.client.HTTPException):
                    # The server may close a refused request's connection
                    # without reading its body: a new one for the next.
                    s = "closed"
                    c.close()
                    c = srv.conn()
                with lock:
                    statuses[s] = statuses.get(s, 0) + 1
                    sent[0] += 1
        threads = [threading.Thread(target=worker, args=(12_500,)) for _ in range(8)]
        t0 = time.perf_counter()
        together(threads)
        took = time.perf_counter() - t0
        time.sleep(3)  # the last refusal window is written
        after = srv.db_bytes()
        print(f"unauth: {sent[0]} POSTs without a valid token in {took:.0f} s ({statuses}): database files "
              f"{before / 1e6:.2f} -> {after / 1e6:.2f} MB ({(after - before) / 1e6:+.2f} MB)")
    finally:
        srv.close()


def passwords(binary):
    srv = Server(binary)
    try:
        token = srv.tokens["acme"]
        base = srv.rss_mb()
        sampler = Sampler(srv)
        sampler.start()
        statuses = []

        def one(i):
            statuses.append(call(srv.conn(), "POST", "/scim/v2/acme/Users", token,
                                 {"schemas": [USER], "userName": f"pw{i}", "password": f"Secret-{i}-pass"})[0])
        threads = [threading.Thread(target=one, args=(i,)) for i in range(128)]
        t0 = time.perf_counter()
        together(threads)
        took = time.perf_counter() - t0
        peak = sampler.stop()
        time.sleep(1)
        print(f"passwords: 128 concurrent POSTs with a password in {took:.2f} s "
              f"({statuses.count(201)} created): RSS {base:.0f} MB before, {srv.rss_mb():.0f} MB after, peak {peak:.0f} MB")
    finally:
        srv.close()


PROBES = {"unindexed": unindexed, "fairness": fairness, "patch": patch, "unauth": unauth, "passwords": passwords}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("probe", choices=[*PROBES, "all"])
    p.add_argument("--scimd", default=os.path.join(root, "target", "release", "scimd"),
                   help="the scimd binary (default: target/release/scimd)")
    args = p.parse_args()
    if not os.access(args.scimd, os.X_OK):
        sys.exit(f"{args.scimd} is not there: cargo build --release -p scimd")
    for name, probe in PROBES.items():
        if args.probe in (name, "all"):
            probe(args.scimd)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
