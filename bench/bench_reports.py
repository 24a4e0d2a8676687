#!/usr/bin/env python
"""Report benchmarks on PostgreSQL over the province history made by ``gen_history.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_reports \\
        .venv/bin/python bench/bench_reports.py [--year 2025] [--runs 20] [--events 10000]

a) ``reports.periodic.periodic`` for one year, province-wide, by agency: the last calendar year
   (a closed period: ``MonthlyFlow`` + the ``OpenSnapshot`` of 31 December before and after), and
   the rolling year ending today (partial months from ``DailyFlow``, the stock counted live on the
   dossier table, as the report does for a period that is not over);
b) the same by field;
c) a province dashboard for the year, four queries: totals (flows + the year-end stock), the
   monthly trend (``MonthlyFlow`` by month), the ranking of the agencies by on-time rate, and a
   heat table commune × month (the agencies grouped by their administrative unit, communes only);
   timed one by one and as a set;
d) rollup maintenance: ``rollups.apply`` for ``--events`` synthetic events (receipts, results,
   returns, supplements, …; "now", at existing agencies and procedures), one call per event in its
   own transaction, as ``save_events`` does (the commit is not timed); the rows it added are removed
   afterwards (today's daily rows, this month's monthly rows restored), so the history stays as
   generated.

Each of a)–c) is timed *cold* — a fresh connection and ``DISCARD ALL`` before the run (the server
is not restarted and the OS page cache is not dropped: the machine is shared, so "cold" means cold
for the connection and its plans, warm for the data pages; the buffer hits/reads are printed) —
and *warm*: p50/p95 over ``--runs`` runs. Targets: warm < 1 s, cold < 3 s; apply < 2 ms per event.
When a target is missed, the plan of the slowest SQL query of that item is printed
(``EXPLAIN (ANALYZE, BUFFERS)``). Each item prints the load average and the CPU the rest of the
machine used meanwhile (cores).

The history must exist (``gen_history.py``). Figures are printed in one block at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import ensure_database, percentile, say  # noqa: E402

REPORT: list[str] = []
WARM_TARGET_MS, COLD_TARGET_MS, APPLY_TARGET_MS = 1000.0, 3000.0, 2.0
HZ = os.sysconf("SC_CLK_TCK")


def report(line: str = "") -> None:
    REPORT.append(line)


# ------------------------------------------------------------------------------------------------
# Machine load: what the rest of the machine used while we measured
# ------------------------------------------------------------------------------------------------
def _machine() -> tuple[int, int]:
    cpu = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(cpu[:8]) - cpu[3] - cpu[4], sum(cpu[:8])


def _jiffies(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class Load:
    """Load average and CPU (cores) during a section: ours (this process + its PostgreSQL backends)
    and the rest of the machine."""

    def __init__(self):
        self.backends: dict[int, int] = {}

    def backend(self) -> None:
        """Note the current connection's backend (call after each new connection)."""
        from django.db import connection

        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            pid = c.fetchone()[0]
        self.backends.setdefault(pid, _jiffies(pid))

    def __enter__(self):
        self.load0 = os.getloadavg()[0]
        self.busy0, self.total0 = _machine()
        self.own0 = sum(os.times()[:2])
        self.backends = {}
        self.backend()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.backend()
        busy, total = _machine()
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        ncpu = os.cpu_count() or 1
        self.busy = (busy - self.busy0) / max(total - self.total0, 1) * ncpu
        pg = sum(max(_jiffies(p) - j, 0) for p, j in self.backends.items()) / HZ
        self.ours = (sum(os.times()[:2]) - self.own0 + pg) / elapsed
        self.others = max(self.busy - self.ours, 0.0)
        self.load1 = os.getloadavg()[0]

    def line(self) -> str:
        return (
            f"load {self.load0:.2f}→{self.load1:.2f}; CPU busy {self.busy:.2f} of {os.cpu_count()} cores "
            f"(this bench {self.ours:.2f}, others {self.others:.2f})"
        )


# ------------------------------------------------------------------------------------------------
# Timing helpers: cold (fresh connection + DISCARD ALL) and warm runs, with the SQL captured
# ------------------------------------------------------------------------------------------------
class Capture:
    """The SQL statements (with params and ms) of the calls made inside it."""

    def __init__(self):
        self.queries: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - t) * 1000, sql, params))


def fresh_connection(load: Load | None = None) -> None:
    from django.db import connection

    connection.close()
    with connection.cursor() as c:
        c.execute("DISCARD ALL")
    if load is not None:
        load.backend()


def buffers() -> tuple[int, int]:
    """(shared buffer hits, reads) of this database so far (pg_stat_database; this backend's pending
    counts are flushed first, when it goes idle between the two statements)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_stat_force_next_flush()")
        c.execute("SELECT pg_stat_clear_snapshot()")
        c.execute("SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()")
        return c.fetchone()


def timed(fn, runs: int, cold_runs: int, load: Load) -> dict:
    """``cold_runs`` cold runs, then ``runs`` warm ones; the queries of the slowest warm run."""
    from django.db import connection

    cold, cold_io = [], []
    for _ in range(cold_runs):
        fresh_connection(load)
        h0, r0 = buffers()
        t = time.perf_counter()
        fn()
        cold.append((time.perf_counter() - t) * 1000)
        h1, r1 = buffers()
        cold_io.append((h1 - h0, r1 - r0))
    fn()  # warm the connection after the last cold run
    warm, slowest = [], None
    for _ in range(runs):
        cap = Capture()
        with connection.execute_wrapper(cap):
            t = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t) * 1000
        warm.append(ms)
        if slowest is None or ms > slowest[0]:
            slowest = (ms, cap.queries)
    return {"cold": cold, "cold_io": cold_io, "warm": warm, "queries": slowest[1] if slowest else []}


def verdict(r: dict) -> tuple[bool, str]:
    p95 = percentile(r["warm"], 95)
    worst_cold = max(r["cold"])
    ok = p95 < WARM_TARGET_MS and worst_cold < COLD_TARGET_MS
    io = ", ".join(f"{h:,} hits/{rd:,} reads" for h, rd in r["cold_io"])
    line = (
        f"cold {' / '.join(f'{x:,.0f}' for x in r['cold'])} ms (buffers: {io}); warm p50 "
        f"{statistics.median(r['warm']):,.0f} ms p95 {p95:,.0f} ms max {max(r['warm']):,.0f} ms over "
        f"{len(r['warm'])} runs; {len(r['queries'])} SQL queries — "
        f"{'PASS' if ok else 'BELOW TARGET'} (warm < 1 s, cold < 3 s)"
    )
    return ok, line


def explain_slowest(queries) -> list[str]:
    from django.db import connection

    if not queries:
        return []
    ms, sql, params = max(queries, key=lambda q: q[0])
    lines = [f"    slowest query ({ms:,.0f} ms): {sql[:300]}{' …' if len(sql) > 300 else ''}"]
    with connection.cursor() as c:
        c.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines += [f"      {r[0]}" for r in c.fetchall()]
    return lines


# ------------------------------------------------------------------------------------------------
# The dashboard's queries (what a province dashboard page would run for a year)
# ------------------------------------------------------------------------------------------------
def dashboard_queries(start: dt.date, end: dt.date) -> dict:
    from django.db.models import ExpressionWrapper, F, FloatField, Q, Sum

    from motcua.reports.models import FLOW_COUNTERS, MonthlyFlow, OpenSnapshot

    months = MonthlyFlow.objects.filter(month__range=(start.replace(day=1), end.replace(day=1)))
    sums = {c: Sum(c) for c in FLOW_COUNTERS}

    def totals():
        flows = months.aggregate(**sums)
        stock = OpenSnapshot.objects.filter(day=end).aggregate(on_time=Sum("on_time"), late=Sum("late"))
        return flows, stock

    def trend():
        return list(months.values("month").annotate(**sums).order_by("month"))

    resolved = F("resolved_early_sum") + F("resolved_on_time_sum") + F("resolved_late_sum")

    def ranking():
        return list(
            months.values("agency_id", "agency__name")
            .annotate(
                resolved_early_sum=Sum("resolved_early"),
                resolved_on_time_sum=Sum("resolved_on_time"),
                resolved_late_sum=Sum("resolved_late"),
                received=Sum(F("received_online") + F("received_direct") + F("received_post")),
            )
            .annotate(
                on_time_rate=ExpressionWrapper(
                    100.0 * (F("resolved_early_sum") + F("resolved_on_time_sum")) / resolved, output_field=FloatField()
                )
            )
            .filter(Q(resolved_early_sum__gt=0) | Q(resolved_on_time_sum__gt=0) | Q(resolved_late_sum__gt=0))
            .order_by("-on_time_rate", "agency__name")
        )

    def heat():
        return list(
            months.filter(agency__unit__level__code="commune")
            .values("agency__unit_id", "agency__unit__name", "month")
            .annotate(
                received=Sum(F("received_online") + F("received_direct") + F("received_post")),
                resolved_early_sum=Sum("resolved_early"),
                resolved_on_time_sum=Sum("resolved_on_time"),
                resolved_late_sum=Sum("resolved_late"),
            )
            .order_by("agency__unit__name", "month")
        )

    return {"totals": totals, "monthly trend": trend, "agency ranking": ranking, "commune heat table": heat}


# ------------------------------------------------------------------------------------------------
# The items
# ------------------------------------------------------------------------------------------------
def bench_periodic(args, start, end, label: str) -> None:
    from motcua.reports.periodic import periodic

    for by in ("agency", "field"):
        with Load() as load:
            r = timed(lambda by=by: periodic(start, end, by=by), args.runs, args.cold, load)
        rep = periodic(start, end, by=by)
        ok, line = verdict(r)
        t = rep.total
        report(f"periodic by {by}, {label} {start}..{end}: {len(rep.rows)} rows")
        report(
            f"  total: carried over {t.carried_over:,}, new {t.received_new:,} (online {t.online_rate} %), "
            f"resolved {t.resolved:,} (on time {t.on_time_rate} %), in progress {t.in_progress:,} "
            f"({t.open_late:,} late)"
        )
        report(f"  {line}")
        report(f"  {load.line()}")
        if not ok:
            report_lines = explain_slowest(r["queries"])
            for x in report_lines:
                report(x)
        report()


def bench_dashboard(args, start, end) -> None:
    queries = dashboard_queries(start, end)

    def all_queries():
        for fn in queries.values():
            fn()

    with Load() as load:
        r = timed(all_queries, args.runs, args.cold, load)
    ok, line = verdict(r)
    rows = {name: fn() for name, fn in queries.items()}
    flows, stock = rows["totals"]
    new = flows["received_online"] + flows["received_direct"] + flows["received_post"]
    report(f"dashboard {start}..{end} (totals, monthly trend, agency ranking, commune heat table)")
    report(
        f"  totals: new {new:,}, resolved late {flows['resolved_late']:,}, year-end stock "
        f"{(stock['on_time'] or 0) + (stock['late'] or 0):,}; trend {len(rows['monthly trend'])} months, "
        f"ranking {len(rows['agency ranking'])} agencies, heat table {len(rows['commune heat table'])} cells "
        f"({len({c['agency__unit_id'] for c in rows['commune heat table']})} communes)"
    )
    report(f"  the set: {line}")
    for name, fn in queries.items():
        each = timed(fn, args.runs, 1, load)
        report(
            f"    {name:<20} cold {each['cold'][0]:,.0f} ms, warm p50 {statistics.median(each['warm']):,.0f} ms "
            f"p95 {percentile(each['warm'], 95):,.0f} ms"
        )
    report(f"  {load.line()}")
    if not ok:
        for x in explain_slowest(r["queries"]):
            report(x)
    report()


def fake_events(n: int, seed: int) -> list:
    """``n`` events "now" at (agency, procedure, field) keys that exist, with the mix of a day."""
    from django.db import connection
    from django.utils import timezone

    from motcua.workcalendar.engine import VN_TZ

    with connection.cursor() as c:
        c.execute(
            "SELECT agency_id, procedure_id, field_id, received_online + received_direct + received_post "
            "FROM reports_monthlyflow WHERE month = (SELECT max(month) FROM reports_monthlyflow)"
        )
        keys = [r for r in c.fetchall() if r[3] > 0]
    rng = random.Random(seed)
    weights = [k[3] for k in keys]
    now = timezone.now()
    today_start = dt.datetime.combine(now.astimezone(VN_TZ).date(), dt.time(0), tzinfo=VN_TZ)
    actions = [
        ("receive", 30),
        ("accept", 20),
        ("issue_result", 25),
        ("return_result", 18),
        ("request_supplement", 3),
        ("record_fee_payment", 2),
        ("refuse", 1),
        ("withdraw", 0.5),
        ("apologize", 0.3),
        ("pay_fee", 0.2),
    ]
    names, aw = zip(*actions, strict=True)
    versions = {}
    events = []
    for agency, procedure, field, _ in rng.choices(keys, weights, k=n):
        action = rng.choices(names, aw)[0]
        at = today_start + (now - today_start) * rng.random()
        version = versions.setdefault((procedure, field), SimpleNamespace(procedure_id=procedure, field_id=field))
        dossier = SimpleNamespace(
            channel=rng.choice(["online", "online", "counter", "counter", "counter", "post", "kiosk"]),
            agency_id=agency,
            due_at=at + dt.timedelta(hours=rng.uniform(-24, 72)),
            apology_count=1 if rng.random() < 0.02 else 0,
            version=version,
        )
        events.append(
            SimpleNamespace(action=action, at=at, actor_role=rng.choice(["desk_officer", "system"]), dossier=dossier)
        )
    return events


def bench_apply(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from motcua.reports import rollups
    from motcua.workcalendar.engine import VN_TZ

    events = fake_events(args.events, args.seed)
    today = timezone.now().astimezone(VN_TZ).date()
    month = today.replace(day=1)
    with connection.cursor() as c:
        c.execute("SET synchronous_commit = off")  # the commit is not timed; do not wait for the disk
        # today's and this month's rows as generated, restored afterwards (kept in tables, so an
        # interrupted run can be repaired by hand: see the message below)
        c.execute("DROP TABLE IF EXISTS bench_reports_day")
        c.execute("DROP TABLE IF EXISTS bench_reports_month")
        c.execute("CREATE TABLE bench_reports_day AS SELECT * FROM reports_dailyflow WHERE day = %s", [today])
        c.execute("CREATE TABLE bench_reports_month AS SELECT * FROM reports_monthlyflow WHERE month = %s", [month])
        c.execute("SELECT count(*) FROM bench_reports_day")
        before = c.fetchone()[0]
    per_event = []
    try:
        with Load() as load:
            t_all = time.perf_counter()
            for e in events:
                with transaction.atomic():
                    t = time.perf_counter()
                    rollups.apply([e])
                    per_event.append((time.perf_counter() - t) * 1000)
            wall = time.perf_counter() - t_all
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM reports_dailyflow WHERE day = %s", [today])
            rows = c.fetchone()[0]
        # a save_events-sized batch (3 events of one dossier's action, e.g. issue + transfer + step)
        batched = []
        for i in range(0, min(len(events), 3000), 3):
            with transaction.atomic():
                t = time.perf_counter()
                rollups.apply(events[i : i + 3])
                batched.append((time.perf_counter() - t) * 1000 / 3)
    finally:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("DELETE FROM reports_dailyflow WHERE day = %s", [today])
            c.execute("INSERT INTO reports_dailyflow SELECT * FROM bench_reports_day")
            c.execute("DELETE FROM reports_monthlyflow WHERE month = %s", [month])
            c.execute("INSERT INTO reports_monthlyflow SELECT * FROM bench_reports_month")
            c.execute("DROP TABLE bench_reports_day")
            c.execute("DROP TABLE bench_reports_month")
        with connection.cursor() as c:
            c.execute("RESET synchronous_commit")
    p95 = percentile(per_event, 95)
    ok = p95 < APPLY_TARGET_MS
    report(
        f"rollups.apply: {len(events):,} synthetic events today ({before:,} → {rows:,} daily rows for {today}, "
        f"upserts on the rows of {month:%m/%Y}), one call + transaction per event"
    )
    report(
        f"  per event: p50 {statistics.median(per_event):.2f} ms  p95 {p95:.2f} ms  p99 "
        f"{percentile(per_event, 99):.2f} ms  max {max(per_event):.1f} ms; {len(events) / wall:,.0f} events/s "
        f"with the commits — {'PASS' if ok else 'BELOW TARGET'} (< 2 ms)"
    )
    report(
        f"  by 3 (one save_events): p50 {statistics.median(batched):.2f} ms  p95 {percentile(batched, 95):.2f} ms "
        "per event"
    )
    report(f"  {load.line()}")
    report("  (today's daily rows and the month's monthly rows were restored as generated)")
    if not ok:
        cap = Capture()
        with connection.execute_wrapper(cap), transaction.atomic():
            rollups.apply(events[:1])
            for x in explain_slowest(cap.queries):
                report(x)
            transaction.set_rollback(True)
    report()


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=None, help="the calendar year reported (default: last year)")
    ap.add_argument("--runs", type=int, default=20, help="warm runs per item")
    ap.add_argument("--cold", type=int, default=3, help="cold runs per item (fresh connection + DISCARD ALL)")
    ap.add_argument("--events", type=int, default=10_000, help="synthetic events for rollups.apply")
    ap.add_argument("--only", choices=["periodic", "dashboard", "apply"], default=None)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_reports"
        )
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from motcua.workcalendar.engine import VN_TZ

    with connection.cursor() as c:
        c.execute("SELECT to_regclass('reports_monthlyflow') IS NOT NULL")
        if not c.fetchone()[0]:
            sys.exit("No reports tables: migrate and run bench/gen_history.py first.")
        c.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'dossiers_dossier'")
        dossiers = c.fetchone()[0]
        c.execute("SELECT min(day), max(day), count(DISTINCT day) FROM reports_opensnapshot")
        snap_from, snap_to, snap_days = c.fetchone()
        c.execute("SELECT count(*) FROM reports_monthlyflow")
        monthly = c.fetchone()[0]
        c.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'reports_dailyflow'")
        daily = c.fetchone()[0]
        c.execute("SHOW server_version")
        pg = c.fetchone()[0]
        c.execute("SHOW shared_buffers")
        shared = c.fetchone()[0]
    if not monthly:
        sys.exit("The rollups are empty: run bench/gen_history.py first.")
    today = timezone.now().astimezone(VN_TZ).date()
    year = args.year or today.year - 1
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    say(f"history: ~{dossiers:,} dossiers, ~{daily:,} daily / {monthly:,} monthly flow rows, stocks {snap_from}..")
    if snap_from and start - dt.timedelta(days=1) < snap_from:
        say(f"  (no stock before {snap_from}: the carried-over column of {year} will be 0)")
    if args.only in (None, "periodic"):
        say("a/b) periodic …")
        bench_periodic(args, start, end, f"calendar year {year} (closed)")
        rolling = today.replace(year=today.year - 1) + dt.timedelta(days=1)
        bench_periodic(args, rolling, today, "rolling year to today (stock counted live)")
    if args.only in (None, "dashboard"):
        say("c) dashboard …")
        bench_dashboard(args, start, end)
    if args.only in (None, "apply"):
        say("d) rollups.apply …")
        bench_apply(args)
    db = urllib.parse.urlparse(url).path.lstrip("/")
    print()
    print(
        f"== MotCua reports bench — PostgreSQL {pg} (shared_buffers {shared}), database {db}, {os.cpu_count()} CPUs =="
    )
    print(
        f"history: ~{dossiers:,} dossiers; ~{daily:,} daily / {monthly:,} monthly flow rows; "
        f"stocks for {snap_days} day-ends {snap_from}..{snap_to}"
    )
    print(
        "cold = fresh connection + DISCARD ALL; the OS page cache and shared_buffers are NOT flushed (shared "
        "machine), so data pages are warm"
    )
    print()
    for line in REPORT:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
