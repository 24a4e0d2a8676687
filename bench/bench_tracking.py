#!/usr/bin/env python
"""Public tracking benchmark (issue 7): the HTML page and the API under load, with wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_d \\
        .venv/bin/python bench/bench_tracking.py [options]

Target: ≥ 500 requests/s on 2 cores and p95 < 30 ms with 1,000,000 dossiers, for each of
``GET /api/v1/public/dossiers/<code>`` (API) and ``GET /tra-cuu/<code>/`` (HTML page).

1. migrate + demo organization/catalog, then top the dossier table up to ``--rows`` with
   ``bench_dossiers.generate_rows`` (COPY; the same database as ``bench_dossiers.py lookup``,
   kept between runs); write ``--codes`` random existing codes to a temporary file;
2. for each gunicorn configuration of ``--configs`` (``sync:5`` = 5 sync workers, ``gthread:3x4`` =
   3 workers × 4 threads), production settings (``DEBUG=false``, the same environment as this
   process): for each target, wrk ``--warmup`` s (discarded) then ``--duration`` s with
   ``--connections`` connections and ``--wrk-threads`` threads, flat out: the throughput; a Lua
   script picks a random code per request from the file and prints p50/p90/p95/p99 from
   ``latency:percentile()`` and the status counts;
3. with the best gthread configuration, the same runs paced at ``--rate`` requests/s (the issue's load;
   the Lua ``delay()`` spaces the requests, 0 skips): the latency at that load. A closed loop
   flat out measures queueing (32 connections at 500/s are 64 ms of Little's law), so the p95
   verdict is read from the paced run and the req/s verdict from the flat-out run;
4. when a target is missed (or ``--profile N``): in-process (Django test client, the same
   settings) the queries per request, a cProfile of N calls per target and EXPLAIN ANALYZE of
   the lookup.

Rate limit: the tracking view and page share ``dossiers.tracking.allow``, a fixed-window counter per
client address in the cache. gunicorn gets ``PUBLIC_TRACKING_RATE=1000000/min`` (the limit lifted,
counting still on) and a shared Redis cache (``CACHE_URL=redis://127.0.0.1:6379/6``) so the counters
are shared by the workers; without Redis the per-worker LocMem cache is used (said so).
``--client-ips N`` sends ``X-Forwarded-For`` from N addresses and starts gunicorn with
``NUM_PROXIES=1`` (as behind one reverse proxy), so the counters are spread as many citizens would.

Every run prints the 1-minute load average before and after and the CPU the rest of the machine
used meanwhile (total busy minus gunicorn, wrk and this database's PostgreSQL backends); a run
during which others used more than ``--busy`` cores is repeated once.

wrk is the Debian package ``wrk`` (installed with apt-get when missing); without it a Python
multi-process client (flat out only) stands in and says so.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
# Before bench_dossiers is imported (it sets its own, higher, default).
os.environ.setdefault("PUBLIC_TRACKING_RATE", "1000000/min")
# Persistent connections (production): longer than a run, so the backends measured stay the same.
os.environ.setdefault("CONN_MAX_AGE", "600")
REDIS_URL = "redis://127.0.0.1:6379/6"

from bench.bench_dossiers import (  # noqa: E402 (after the path and settings set-up)
    Server,
    drive,
    ensure_database,
    generate_rows,
    latency_line,
    percentile,
    request,
    say,
    setup_province,
)

REPORT: list[str] = []
TARGETS = {
    "api": ("/api/v1/public/dossiers/", ""),
    "html": ("/tra-cuu/", "/"),
}
HZ = os.sysconf("SC_CLK_TCK")

LUA = r"""
-- MotCua tracking bench: a random existing code per request, optional pacing and X-Forwarded-For.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } mc_timespec;
int clock_gettime(int clk_id, mc_timespec *tp);
]]
local ts = ffi.new("mc_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix, suffix = args[1], args[2]
  interval = tonumber(args[4])  -- ms between two requests of this thread; 0: flat out
  n_ips = tonumber(args[5])
  codes = {}
  for line in io.lines(args[3]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  math.randomseed(tid * 7919 + os.time())
  ok, r404, r429, other = 0, 0, 0, 0
  next_slot = 0
end

function delay()
  if interval <= 0 then return 0 end
  local t = now_ms()
  if next_slot < t then next_slot = t end
  local d = next_slot - t
  next_slot = next_slot + interval
  return d
end

function request()
  local path = prefix .. codes[math.random(#codes)] .. suffix
  if n_ips > 0 then
    local i = math.random(n_ips)
    local ip = string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
    return wrk.format("GET", path, { ["X-Forwarded-For"] = ip })
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 404 then r404 = r404 + 1
  elseif status == 429 then r429 = r429 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local n = { ok = 0, r404 = 0, r429 = 0, other = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(n) do n[k] = n[k] + (t:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    'MCRESULT {"requests": %d, "duration_us": %d, "ok": %d, "r404": %d, "r429": %d, "other": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50": %.3f, "p90": %.3f, "p95": %.3f, "p99": %.3f, "max": %.3f, "mean": %.3f}\n',
    summary.requests, summary.duration, n.ok, n.r404, n.r429, n.other,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
"""


CHILDREN: list[subprocess.Popen] = []  # gunicorn and wrk, stopped on SIGTERM


def _terminate(*_):
    for proc in CHILDREN:
        if proc.poll() is None:
            proc.terminate()
    sys.exit(143)


def report(line: str = "") -> None:
    REPORT.append(line)
    say(line)


# ------------------------------------------------------------------------------------------------
# Environment: Redis, wrk, load of the machine
# ------------------------------------------------------------------------------------------------
def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_wrk() -> str | None:
    path = shutil.which("wrk")
    if path:
        return path
    say("wrk missing: apt-get install -y wrk …")
    for cmd in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        try:
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if shutil.which("wrk"):
            return shutil.which("wrk")
    return None


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(p.name))
    return out


def _jiffies(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _machine() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    cpu = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = cpu[3] + cpu[4]
    total = sum(cpu[:8])
    return total - idle, total


def db_backends() -> list[int]:
    """PostgreSQL backends connected to the bench database (gunicorn's, with CONN_MAX_AGE)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        pids = [r[0] for r in cursor.fetchall()]
    connection.close()
    return pids


def _pids_named(name: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == name:
                    out.append(int(p.name))
            except OSError:
                continue
    return out


class CpuWatch:
    """CPU used during a run, in cores: gunicorn (master + workers), this database's PostgreSQL
    backends, redis-server (the throttle's cache; shared with whoever else uses it), the load
    generator (this process's children: wrk), and the rest of the machine ("others")."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def __enter__(self):
        self.load_before = loadavg()
        self.groups = {
            "gunicorn": [self.server_pid, *_children(self.server_pid)],
            "postgres": db_backends(),
            "redis": _pids_named("redis-server"),
        }
        self.start = {p: _jiffies(p) for pids in self.groups.values() for p in pids}
        self.kids0 = _rusage_children()
        self.busy0, self.total0 = _machine()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        busy1, total1 = _machine()
        elapsed = time.monotonic() - self.t0
        # Backends opened during the run (a worker reconnecting) count from 0; closed ones are lost.
        self.groups["postgres"] = sorted(set(self.groups["postgres"]) | set(db_backends()))
        self.load_after = loadavg()
        self.cores = {
            # per process, a vanished one counts 0 (a PostgreSQL backend closed by CONN_MAX_AGE)
            g: sum(max(_jiffies(p) - self.start.get(p, 0), 0) for p in pids) / HZ / elapsed
            for g, pids in self.groups.items()
        }
        self.cores["wrk"] = (_rusage_children() - self.kids0) / elapsed
        ncpu = os.cpu_count() or 1
        self.busy_cores = (busy1 - self.busy0) / max(total1 - self.total0, 1) * ncpu
        self.our_cores = sum(self.cores.values())
        self.other_cores = max(self.busy_cores - self.our_cores, 0.0)

    def line(self) -> str:
        parts = ", ".join(f"{g} {c:.2f}" for g, c in self.cores.items())
        return (
            f"load {self.load_before}→{self.load_after}; CPU busy {self.busy_cores:.2f} cores: {parts}, "
            f"others {self.other_cores:.2f}"
        )

    def per_request(self, rps: float) -> str:
        """CPU ms per request by process group, and the rate that CPU allows on this machine's
        cores when nothing else runs (independent of what the others used)."""
        ms = {g: c * 1000 / rps for g, c in self.cores.items()} if rps else {}
        total = sum(ms.values())
        ncpu = os.cpu_count() or 1
        parts = " + ".join(f"{g} {v:.2f}" for g, v in ms.items())
        return f"CPU/request {total:.2f} ms ({parts}) → ceiling ≈ {ncpu * 1000 / total:,.0f} req/s on {ncpu} idle cores"


def _rusage_children() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------------------------------------
# Load generators
# ------------------------------------------------------------------------------------------------
def run_wrk(wrk, port, target, codes_file, lua_file, seconds, args, rate: float = 0.0) -> dict:
    prefix, suffix = TARGETS[target]
    interval = args.wrk_threads * 1000.0 / rate if rate else 0.0
    cmd = [
        wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        lua_file,
        f"http://127.0.0.1:{port}",
        "--",
        prefix,
        suffix,
        codes_file,
        f"{interval:.4f}",
        str(args.client_ips),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    CHILDREN.append(proc)
    try:
        stdout, stderr = proc.communicate(timeout=seconds + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        CHILDREN.remove(proc)
    for line in stdout.splitlines():
        if line.startswith("MCRESULT "):
            result = json.loads(line[len("MCRESULT ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk gave no result: {stdout[-500:]} {stderr[-500:]}")


def _py_load(job):
    port, paths, seconds, threads, seed = job
    rng = random.Random(seed)
    jobs = [rng.choice(paths) for _ in range(20000)]

    def call(path):
        status, _ = request(port, "GET", path)
        return status == 200, f"HTTP {status}"

    samples, errors, elapsed = drive(call, threads, seconds, jobs)
    return [(ms, ok) for _, ms, ok in samples], elapsed


def run_python(port, target, codes, seconds, args) -> dict:
    """Fallback without wrk: ``--wrk-threads`` processes × connections/threads threads, one fresh
    connection per request (flat out only)."""
    prefix, suffix = TARGETS[target]
    paths = [f"{prefix}{c}{suffix}" for c in codes]
    procs = max(args.wrk_threads, 1)
    per = max(args.connections // procs, 1)
    jobs = [(port, paths, seconds, per, args.seed + i) for i in range(procs)]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        parts = pool.map(_py_load, jobs)
    ms = [m for samples, _ in parts for m, ok in samples if ok]
    bad = sum(1 for samples, _ in parts for _, ok in samples if not ok)
    elapsed = max(e for _, e in parts)
    return {
        "requests": len(ms) + bad,
        "ok": len(ms),
        "r404": 0,
        "r429": 0,
        "other": bad,
        "connect": 0,
        "read": 0,
        "write": 0,
        "timeout": 0,
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
        "mean": sum(ms) / len(ms) if ms else float("nan"),
        "rps": (len(ms) + bad) / elapsed,
    }


def result_line(r: dict) -> str:
    errors = r["r404"] + r["r429"] + r["other"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    detail = ""
    if errors:
        detail = (
            f" (404 {r['r404']}, 429 {r['r429']}, other {r['other']}, socket "
            f"{r['connect'] + r['read'] + r['write']}, timeout {r['timeout']})"
        )
    return (
        f"{r['rps']:7,.0f} req/s  p50 {r['p50']:5.1f}  p90 {r['p90']:5.1f}  p95 {r['p95']:5.1f}  "
        f"p99 {r['p99']:5.1f}  max {r['max']:6.1f} ms  {r['requests']:,} requests, {errors} errors{detail}"
    )


def measure(load, server, target, args, label, rate=0.0) -> dict:
    """Warm-up (discarded) then the measured run; repeated once when the machine was busy."""
    load(server.port, target, args.warmup, rate)
    for attempt in (1, 2):
        with CpuWatch(server.proc.pid) as watch:
            r = load(server.port, target, args.duration, rate)
        busy = watch.other_cores > args.busy
        note = "  BUSY: repeated" if busy and attempt == 1 else ("  (still busy)" if busy else "")
        report(f"  {label:<24} {result_line(r)}")
        report(f"  {'':<24} {watch.line()}{note}")
        if not rate:
            report(f"  {'':<24} {watch.per_request(r['rps'])}")
        r["watch"] = watch
        if not busy:
            break
    return r


def parse_configs(text: str) -> list[tuple[str, int, int]]:
    out = []
    for item in text.split(","):
        kind, _, size = item.strip().partition(":")
        workers, _, threads = size.partition("x")
        out.append((kind, int(workers), int(threads or 1)))
    return out


def config_name(cfg) -> str:
    kind, workers, threads = cfg
    return f"{kind} -w {workers}" + (f" --threads {threads}" if kind == "gthread" else "")


def start_server(cfg) -> Server:
    """bench_dossiers' gunicorn (same environment, DEBUG=false) with the worker class and threads
    passed through GUNICORN_CMD_ARGS."""
    kind, workers, threads = cfg
    extra = f"--worker-class {kind}"
    if kind == "gthread":
        extra += f" --threads {threads} --keep-alive 5"
    os.environ["GUNICORN_CMD_ARGS"] = extra
    server = Server(workers)
    try:
        server.__enter__()
    finally:
        os.environ.pop("GUNICORN_CMD_ARGS", None)
        if server.proc is not None:
            CHILDREN.append(server.proc)
    return server


# ------------------------------------------------------------------------------------------------
# In-process look: queries, cProfile, EXPLAIN ANALYZE
# ------------------------------------------------------------------------------------------------
def _cpu_ms(fn, n: int) -> float:
    """CPU time (this process) per call of ``fn(i)``, after a few warm-up calls."""
    for i in range(min(20, n)):
        fn(i)
    t = time.process_time()
    for i in range(n):
        fn(i)
    return (time.process_time() - t) * 1000 / n


def profile(codes: list[str], n: int) -> None:
    """Where a request's CPU goes, in-process with the server's settings: whole requests (wall and
    CPU), the parts (ORM compile, SQL round trip, serializer, throttle cache round trip at the
    history lengths a lifted limit produces), cProfile, and the plan of the lookup."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from motcua.api.dossiers import PUBLIC_FIELDS, PublicDossierSerializer
    from motcua.dossiers.models import Dossier

    def lookup(code):
        return (
            Dossier.objects.select_related("version__procedure", "agency", "bundle")
            .only(*PUBLIC_FIELDS)
            .filter(code=code)
        )

    client = Client()
    n = min(n, len(codes))
    report(f"profile  in-process (Django test client, the server's settings), {n} calls per target")
    held = cache.get("throttle_public_tracking_127.0.0.1")
    report(f"  throttle history of 127.0.0.1 after the runs: {len(held) if held else 0:,} timestamps (one cache entry)")
    for target, (prefix, suffix) in TARGETS.items():
        paths = [f"{prefix}{c}{suffix}" for c in codes[:n]]
        # One X-Forwarded-For per call: the throttle history stays short (as for real citizens).
        ips = [f"10.9.{i // 250 % 250}.{i % 250}" for i in range(n)]
        for i in range(min(20, n)):
            client.get(paths[i], HTTP_X_FORWARDED_FOR=ips[i])
        with CaptureQueriesContext(connection) as ctx:
            client.get(paths[0], HTTP_X_FORWARDED_FOR=ips[0])
        queries = list(ctx.captured_queries)  # the next request resets the log
        ms = []
        c0 = time.process_time()
        for i, p in enumerate(paths):
            t = time.perf_counter()
            client.get(p, HTTP_X_FORWARDED_FOR=ips[i])
            ms.append((time.perf_counter() - t) * 1000)
        cpu = (time.process_time() - c0) * 1000 / n
        report(f"  {target:<5} {latency_line(ms)}; CPU {cpu:.2f} ms/request (Python); {len(queries)} SQL queries")
        for q in queries:
            report(f"        {q['time']}s  {q['sql'][:150]}…")
        prof = cProfile.Profile()
        for i, p in enumerate(paths):
            prof.enable()
            client.get(p, HTTP_X_FORWARDED_FOR=ips[i])
            prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(12)
        stats.sort_stats("cumulative").print_stats(26)
        site = str(Path(pstats.__file__).parent)
        for line in out.getvalue().splitlines():
            if line.strip() and not line.startswith(("   Ordered", "   List reduced", "   Random listing")):
                line = line.replace(str(ROOT / ".venv/lib/python3.11/site-packages") + "/", "").replace(site + "/", "")
                report(f"        {line.rstrip()[:150]}")

    # The parts, CPU per call in this process.
    sql, _ = lookup(codes[0]).order_by("pk")[:1].query.sql_with_params()
    dossiers = [lookup(c).first() for c in codes[:n]]

    def raw(i):
        with connection.cursor() as cursor:
            cursor.execute(sql, (codes[i],))
            cursor.fetchall()

    parts = [
        (
            "ORM: build + compile the lookup query",
            lambda i: lookup(codes[i]).order_by("pk")[:1].query.sql_with_params(),
        ),
        ("ORM: the lookup .first() (compile + SQL + rows)", lambda i: lookup(codes[i]).first()),
        ("SQL alone (cursor.execute of the compiled text)", raw),
        (
            "PublicDossierSerializer(...).data",
            lambda i: PublicDossierSerializer(dossiers[i], context={"members": None}).data,
        ),
    ]
    now = time.time()
    for size in (1, 120, 6_000, 30_000):  # 120/min per IP; 1 IP at 100/s and 500/s over 60 s
        cache.set(f"bench_tracking:history:{size}", [now] * size, 60)
        parts.append(
            (
                f"throttle cache get + set, history of {size:,}",
                lambda i, k=f"bench_tracking:history:{size}": cache.set(k, cache.get(k), 60),
            )
        )
    report("  CPU per call of the parts (this process; PostgreSQL's and Redis' own CPU not included):")
    for label, fn in parts:
        report(f"    {label:<52} {_cpu_ms(fn, n if 'history' not in label else min(n, 100)):6.3f} ms")
    for size in (1, 120, 6_000, 30_000):
        cache.delete(f"bench_tracking:history:{size}")
    plan = lookup(codes[0]).explain(analyze=True)
    report(f"  EXPLAIN ANALYZE of the lookup ({plan.splitlines()[-1].strip()}):")
    for line in plan.splitlines():
        report(f"        {line}")
    connection.close()


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    # A SIGTERM unwinds like Ctrl-C: gunicorn is stopped by its context, wrk by subprocess.run.
    signal.signal(signal.SIGTERM, _terminate)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="dossiers in the table")
    ap.add_argument("--codes", type=int, default=20_000, help="random existing codes the load picks from")
    ap.add_argument(
        "--configs",
        default="sync:5,gthread:3x4,gthread:5x2",
        help="gunicorn configurations tried: sync:<workers>, gthread:<workers>x<threads>",
    )
    ap.add_argument("--targets", default="api,html", help="api, html or both")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections")
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--warmup", type=float, default=10.0, help="warm-up per run (s), discarded")
    ap.add_argument("--duration", type=float, default=30.0, help="measured run (s)")
    ap.add_argument("--rate", type=float, default=500.0, help="paced run at this rate with the best config (0: skip)")
    ap.add_argument("--client-ips", type=int, default=0, help="X-Forwarded-For from this many addresses (0: none)")
    ap.add_argument("--busy", type=float, default=0.3, help="cores used by others above which a run is repeated")
    ap.add_argument("--profile", type=int, default=0, help="cProfile N in-process calls per target even on PASS")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_d")
    if "CACHE_URL" not in os.environ and redis_up():
        os.environ["CACHE_URL"] = REDIS_URL
    cache_url = os.environ.get("CACHE_URL", "")
    if args.client_ips:  # the addresses come in X-Forwarded-For, as from one trusted reverse proxy
        os.environ["NUM_PROXIES"] = "1"
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Min

    from motcua.catalog.services import CatalogError
    from motcua.dossiers.models import Dossier

    try:
        setup_province()
    except CatalogError as exc:  # the demo fixture changed since the data was generated: keep the loaded catalog
        if not Dossier.objects.exists():
            raise
        say(f"load_demo skipped (catalog already loaded, fixture changed since): {exc}")
    t0 = time.perf_counter()
    generate_rows(args.rows, args.seed)
    gen_seconds = time.perf_counter() - t0
    total = Dossier.objects.count()
    bounds = Dossier.objects.aggregate(lo=Min("id"), hi=Max("id"))
    rng = random.Random(args.seed)
    ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(int(args.codes * 1.2))]
    codes = list(Dossier.objects.filter(id__in=ids).values_list("code", flat=True))[: args.codes]
    rng.shuffle(codes)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    connection.close()

    tmp = Path(tempfile.mkdtemp(prefix="bench_tracking_"))
    codes_file = tmp / "codes.txt"
    codes_file.write_text("\n".join(codes) + "\n")
    lua_file = tmp / "tracking.lua"
    lua_file.write_text(LUA)
    wrk = ensure_wrk()

    if wrk:

        def load(port, target, seconds, rate=0.0):
            return run_wrk(wrk, port, target, str(codes_file), str(lua_file), seconds, args, rate)

        tool = f"wrk -t{args.wrk_threads} -c{args.connections} (Lua: random code of {len(codes):,} per request)"
    else:

        def load(port, target, seconds, rate=0.0):
            return run_python(port, target, codes, seconds, args)

        tool = f"Python client, {args.wrk_threads} processes × {args.connections // args.wrk_threads} threads (no wrk)"
        args.rate = 0.0

    cache_note = (
        f"shared Redis cache ({cache_url})"
        if cache_url.startswith(("redis", "rediscache"))
        else f"cache {cache_url or 'LocMem (per worker: counters not shared)'}"
    )
    report(f"setup    {total:,} dossiers; generation {gen_seconds:.0f} s this run; codes file {codes_file}")
    report(
        f"throttle PUBLIC_TRACKING_RATE={os.environ['PUBLIC_TRACKING_RATE']} in gunicorn's environment "
        f"(throttling on, limit lifted), {cache_note}"
        + (f"; X-Forwarded-For from {args.client_ips:,} addresses" if args.client_ips else "; one client IP")
    )
    report(
        f"server   gunicorn (bench_dossiers.Server: DEBUG=false, --backlog 2048), "
        f"CONN_MAX_AGE={os.environ['CONN_MAX_AGE']}, Redis/PostgreSQL/wrk on the same machine"
    )
    report(f"load     {tool}; warm-up {args.warmup:.0f} s then {args.duration:.0f} s per run")
    report()

    # 1. Flat out, every configuration.
    best = None
    results: dict = {}
    for cfg in parse_configs(args.configs):
        server = start_server(cfg)
        try:
            for target in targets:
                prefix, suffix = TARGETS[target]
                status, body = request(server.port, "GET", f"{prefix}{codes[0]}{suffix}")
                if status != 200 or codes[0].encode() not in body:
                    report(f"  {target}: HTTP {status} for {codes[0]}: {body[:200]!r}")
                    return 1
            report(f"gunicorn {config_name(cfg)} — flat out, {args.connections} connections")
            for target in targets:
                results[(cfg, target)] = measure(load, server, target, args, f"{target} flat out")
        finally:
            server.__exit__(None, None, None)
        score = min(results[(cfg, t)]["rps"] for t in targets)
        if best is None or score > best[1]:
            best = (cfg, score)
        report()

    # 2. Paced at the target rate with the best gthread configuration: a sync worker accepts a
    # connection and then blocks reading it, so the paced load's idle keep-alive connections stall
    # it (head-of-line blocking: p95 ~50 ms even for a hello-world app at 500 req/s); gthread keeps
    # idle connections in its poller (as nginx in front of sync workers would).
    cfg = best[0]
    threaded = [c for c in parse_configs(args.configs) if c[0] == "gthread"]
    paced_cfg = max(threaded, key=lambda c: min(results[(c, t)]["rps"] for t in targets)) if threaded else cfg
    paced = {}
    if args.rate:
        server = start_server(paced_cfg)
        try:
            report(
                f"gunicorn {config_name(paced_cfg)} (best gthread) — paced at {args.rate:.0f} req/s, "
                f"{args.connections} connections"
            )
            for target in targets:
                paced[target] = measure(load, server, target, args, f"{target} at {args.rate:.0f}/s", args.rate)
        finally:
            server.__exit__(None, None, None)
        report()

    # 3. Verdict.
    missed = False
    verdicts = []
    for target in targets:
        top = max((results[(c, target)] for c in parse_configs(args.configs)), key=lambda r: r["rps"])
        lat = paced.get(target, top)
        errors = lat["r404"] + lat["r429"] + lat["other"] + top["r404"] + top["r429"] + top["other"]
        ok = top["rps"] >= 500 and lat["p95"] < 30 and errors == 0
        missed |= not ok
        verdicts.append(
            f"  {target:<5} {top['rps']:,.0f} req/s flat out, p95 {lat['p95']:.1f} ms "
            f"{'at ' + format(args.rate, '.0f') + '/s' if target in paced else 'flat out'}, {errors} errors: "
            f"{'PASS' if ok else 'BELOW TARGET'}"
        )
    if missed or args.profile:
        profile(codes, args.profile or 300)
        report()

    print()
    print(
        f"== MotCua public tracking bench — PostgreSQL {pg}, database "
        f"{urllib.parse.urlparse(url).path.lstrip('/')}, {os.cpu_count()} CPUs =="
    )
    for line in REPORT:
        print(line)
    print(
        f"target ≥ 500 req/s and p95 < 30 ms (req/s: the best configuration flat out, gunicorn {config_name(cfg)} "
        f"overall; p95: paced, gunicorn {config_name(paced_cfg)})"
    )
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
