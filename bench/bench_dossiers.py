#!/usr/bin/env python
"""Dossier benchmarks on PostgreSQL: intake throughput and public tracking lookups.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_d \\
        .venv/bin/python bench/bench_dossiers.py [receive|lookup|all] [options]

receive   migrate, load the demo organization + catalog, give the desk officers of several desks
          DRF tokens (extra ``bench.<desk>.<n>`` officers per desk), start gunicorn
          (``-w --workers`` on a free port, same environment) and drive ``POST /api/v1/dossiers/``
          with ``--clients`` concurrent clients (threads, http.client) for ``--seconds``: sustained
          rate, p50/p95/p99 latency, errors, and a check that the codes are unique and gap-free.
          ``--in-process``: the same load straight into ``services.create_dossier`` from
          ``--clients`` threads (the domain layer alone, no HTTP). Target ≥ 200 dossiers/s.
lookup    bulk-insert ``--rows`` dossiers (default 1,000,000; COPY in batches; bench data only,
          kept between runs, topped up when the table holds fewer rows) with valid codes (the
          daily sequences are advanced too), states, agencies, procedure versions and dates; then
          time ``GET /api/v1/public/dossiers/<code>`` for random existing codes through gunicorn
          (sequential: p50/p95/p99; then ``--clients`` concurrent clients: rate) and in-process
          (Django test client, no network). Target p95 < 20 ms. ``--in-process`` skips gunicorn.
all       both (default).

The database is created when missing. Figures are printed in one block at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
# The public tracking page is rate-limited per IP (120/min by default): lift it for the bench, in
# this process and in gunicorn's.
os.environ.setdefault("PUBLIC_TRACKING_RATE", "100000000/s")
os.environ.setdefault("API_DOSSIER_CREATE_RATE", "100000000/s")  # and dossier creation per user (hardening)
warnings.filterwarnings("ignore", message="No directory at")

REPORT: list[str] = []
WARM_URL = "/api/v1/procedures/?q=khai+sinh"  # a 200 (a 404 would be logged by every worker)


def say(line: str = "") -> None:
    print(line, flush=True)


def report(line: str = "") -> None:
    REPORT.append(line)


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency_line(ms: list[float]) -> str:
    if not ms:
        return "no successful request"
    return (
        f"p50 {statistics.median(ms):.1f} ms  p95 {percentile(ms, 95):.1f} ms  "
        f"p99 {percentile(ms, 99):.1f} ms  max {max(ms):.1f} ms"
    )


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the project with this process's environment."""

    def __init__(self, workers: int):
        self.port = free_port()
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [
            str(ROOT / ".venv/bin/gunicorn"),
            "motcua.wsgi",
            "-w",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        env = {**os.environ, "DEBUG": "false", "PYTHONWARNINGS": "ignore::UserWarning"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request(self.port, "GET", WARM_URL)
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited at startup") from None
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer within 60 s")
        # Warm every worker (imports, connection, calendar).
        for _ in range(self.workers * 4):
            request(self.port, "GET", WARM_URL)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def drive(call, clients: int, seconds: float | None = None, jobs: list | None = None, on_exit=None):
    """Run ``call(job)`` from ``clients`` threads, for ``seconds`` (cycling over ``jobs``) or once
    per job; ``on_exit()`` ends each thread. Returns (samples [(start, ms, ok)], first errors, elapsed)."""
    samples: list[tuple[float, float, bool]] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**12))
    t0 = time.perf_counter()
    deadline = t0 + seconds if seconds else None
    n_jobs = len(jobs or [])

    def worker():
        local = []
        while True:
            i = next(counter)
            if deadline is None and i >= n_jobs:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
            job = jobs[i % n_jobs] if n_jobs else i
            start = time.perf_counter()
            try:
                ok, detail = call(job)
            except Exception as exc:  # a dropped connection is an error, not a crash
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            local.append((start - t0, (time.perf_counter() - start) * 1000, ok))
            if not ok:
                with lock:
                    if len(errors) < 5:
                        errors.append(str(detail)[:300])
        with lock:
            samples.extend(local)
        if on_exit is not None:
            on_exit()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, errors, time.perf_counter() - t0


def rate_lines(samples, elapsed: float, what: str, warmup: float = 2.0) -> tuple[float, list[str]]:
    ok = [s for s in samples if s[2]]
    failed = len(samples) - len(ok)
    rate = len(ok) / elapsed if elapsed else 0.0
    steady = [s for s in ok if s[0] >= warmup]
    steady_rate = len(steady) / (elapsed - warmup) if elapsed > warmup * 2 else rate
    lines = [
        f"  {what:<12} {len(ok):,} in {elapsed:.1f} s, {failed:,} errors",
        f"  {'sustained':<12} {rate:,.1f}/s  (after {warmup:.0f} s warm-up: {steady_rate:,.1f}/s)",
        f"  {'latency':<12} {latency_line([s[1] for s in ok])}",
    ]
    return min(rate, steady_rate) if steady else rate, lines


# ------------------------------------------------------------------------------------------------
# Setup
# ------------------------------------------------------------------------------------------------
def setup_province() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--no-dossiers", "--quiet")


def intake_pool(officers_per_desk: int, max_desks: int, seed: int):
    """Desks, their officers (with tokens) and the procedures each desk receives at the counter."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from motcua.catalog.models import ProcedureVersion
    from motcua.dossiers import services
    from motcua.org.demo import DEMO_PASSWORD
    from motcua.org.models import Desk, DeskKind, StaffMembership
    from motcua.org.roles import Role

    User = get_user_model()
    desks = list(Desk.objects.filter(active=True).select_related("agency").order_by("kind", "code"))
    order = {DeskKind.PROVINCIAL_CENTER: 0, DeskKind.DISTRICT_DESK: 1, DeskKind.COMMUNE_DESK: 2}
    desks.sort(key=lambda d: (order.get(d.kind, 3), d.code))
    center = [d for d in desks if d.kind == DeskKind.PROVINCIAL_CENTER]
    others = [d for d in desks if d.kind != DeskKind.PROVINCIAL_CENTER]
    step = max(len(others) // max(max_desks - len(center), 1), 1)
    desks = (center + others[::step])[:max_desks]
    codes = sorted(set(ProcedureVersion.objects.in_force().values_list("procedure__code", flat=True)))
    pool = []
    password = None
    for desk in desks:
        officers = [
            m.user
            for m in StaffMembership.objects.filter(desk=desk, role=Role.DESK_OFFICER, active=True).select_related(
                "user"
            )
        ]
        n = len(officers)
        while n < officers_per_desk:
            n += 1
            username = f"bench.{desk.code.lower()}.{n}"
            user = User.objects.filter(username=username).first()
            if user is None:
                if password is None:
                    from django.contrib.auth.hashers import make_password

                    password = make_password(DEMO_PASSWORD)
                user = User.objects.create(username=username, first_name="Cán bộ", last_name="Bench", password=password)
            StaffMembership.objects.get_or_create(
                user=user, agency=desk.agency, role=Role.DESK_OFFICER, defaults={"desk": desk, "title": "Bench"}
            )
            officers.append(user)
        procedures = []
        for code in codes:
            try:
                intake = services.prepare_intake(
                    user=officers[0],
                    procedure_code=code,
                    channel="counter",
                    applicant={"name": "Kiểm tra", "id_number": "056085012345"},
                    desk_code=desk.code,
                    components=[],
                    now=dt.datetime.now(dt.UTC),
                )
            except services.DossierError:
                continue
            required = [c.code for c in intake.version.components.all() if c.required]
            procedures.append((code, required))
        if not procedures:
            continue
        for user in officers:
            token, _ = Token.objects.get_or_create(user=user)
            pool.append({"desk": desk.code, "user": user, "token": token.key, "procedures": procedures})
    return pool


def people(n: int, seed: int) -> list[dict]:
    from motcua.dossiers.demo import FAMILY, GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M, MOBILE_PREFIXES, _weighted

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        female = rng.random() < 0.5
        name = " ".join(
            [
                _weighted(rng, FAMILY),
                rng.choice(MIDDLE_F if female else MIDDLE_M),
                rng.choice(GIVEN_F if female else GIVEN_M),
            ]
        )
        year = rng.randint(1950, 2006)
        century = (year - 1900) // 100 * 2 + int(female)
        out.append(
            {
                "name": name,
                "id_number": f"056{century}{year % 100:02d}{rng.randrange(10**6):06d}",
                "phone": f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}",
                "address": f"Thôn {rng.randint(1, 9)}, tỉnh An Hòa",
            }
        )
    return out


def receive_jobs(pool, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    persons = people(min(n, 5000), seed)
    jobs = []
    for i in range(n):
        officer = pool[i % len(pool)]
        code, required = rng.choice(officer["procedures"])
        body = {
            "procedure": code,
            "channel": "counter",
            "desk": officer["desk"],
            "applicant": persons[i % len(persons)],
            "components": required,
            "fee_paid": True,
        }
        jobs.append((officer, body))
    return jobs


def check_codes(since_id: int) -> str:
    """The codes issued during the run: unique (DB constraint) and gap-free per agency and day."""
    from django.db.models import Count, Max

    from motcua.dossiers.models import DailySequence, Dossier

    rows = Dossier.objects.filter(id__gt=since_id).values("receiving_agency", "submitted_at__date")
    groups = rows.annotate(n=Count("id"))
    bad = 0
    for g in groups:
        seq = DailySequence.objects.filter(agency=g["receiving_agency"], day=g["submitted_at__date"]).first()
        total = Dossier.objects.filter(
            receiving_agency=g["receiving_agency"],
            code__contains=f"-{g['submitted_at__date']:%y%m%d}-",
        ).aggregate(n=Count("id"), top=Max("code"))
        if seq is None or seq.last != total["n"] or int(total["top"].rsplit("-", 1)[1]) != total["n"]:
            bad += 1
    return "unique, gap-free per agency/day" if not bad else f"{bad} agency/day sequences with gaps!"


# ------------------------------------------------------------------------------------------------
# a) receive
# ------------------------------------------------------------------------------------------------
def bench_receive(args) -> None:
    from django.db import connection

    from motcua.dossiers import services
    from motcua.dossiers.models import Dossier

    pool = intake_pool(args.officers, args.desks, args.seed)
    desks = sorted({o["desk"] for o in pool})
    jobs = receive_jobs(pool, 20000, args.seed)
    say(f"receive: {len(pool)} officers at {len(desks)} desks ({', '.join(desks)})")
    since = Dossier.objects.order_by("-id").values_list("id", flat=True).first() or 0
    connection.close()

    if args.in_process:
        from django.db import connections

        def call(job):
            officer, body = job
            try:
                services.create_dossier(
                    user=officer["user"],
                    procedure_code=body["procedure"],
                    channel=body["channel"],
                    desk_code=body["desk"],
                    applicant=body["applicant"],
                    components=body["components"],
                    fee_paid=True,
                )
                return True, ""
            except services.DossierError as exc:
                return False, exc.message

        samples, errors, elapsed = drive(call, args.clients, args.seconds, jobs, on_exit=connections.close_all)
        title = f"receive  services.create_dossier in-process, {args.clients} threads, {elapsed:.1f} s"
    else:
        with Server(args.workers) as server:
            probe = _post(server.port, jobs[0])
            if probe[0] in (404, 405) or probe[0] >= 500:
                report(f"receive  POST /api/v1/dossiers/: endpoint not available (HTTP {probe[0]}): {probe[1][:200]}")
                report("  (run again when motcua/api/dossiers.py is in place, or use --in-process)")
                return

            def call(job):
                status, data = _post(server.port, job)
                return status == 201, f"HTTP {status}: {data[:200]!r}"

            samples, errors, elapsed = drive(call, args.clients, args.seconds, jobs[1:])
        title = (
            f"receive  POST /api/v1/dossiers/ via gunicorn -w {args.workers}, {args.clients} clients, {elapsed:.1f} s"
        )
    rate, lines = rate_lines(samples, elapsed, "created")
    report(title)
    report(f"  {'spread':<12} {len(pool)} desk officers at {len(desks)} desks")
    for line in lines:
        report(line)
    for e in errors:
        report(f"  error sample: {e}")
    report(f"  {'codes':<12} {check_codes(since)}")
    report(f"  target ≥ 200 dossiers/s: {'PASS' if rate >= 200 else 'BELOW TARGET'}")
    report()


def _post(port: int, job):
    officer, body = job
    headers = {"Content-Type": "application/json", "Authorization": f"Token {officer['token']}"}
    return request(port, "POST", "/api/v1/dossiers/", json.dumps(body).encode(), headers)


# ------------------------------------------------------------------------------------------------
# b) public tracking lookup
# ------------------------------------------------------------------------------------------------
def generate_rows(target: int, seed: int) -> None:
    """Bench data: top the dossier table up to ``target`` rows with COPY (batches of 100k).

    Codes continue each agency's daily sequence (the sequences are advanced), so they never collide
    with dossiers the services create and stay gap-free. Days: the last 3 years, working days only.
    """
    from django.db import connection, transaction

    from motcua.dossiers.models import DailySequence, Dossier
    from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ
    from motcua.workcalendar.services import get_calendar

    have = Dossier.objects.count()
    if have >= target:
        say(f"lookup: {have:,} dossiers already (≥ {target:,}), no generation")
        return
    need = target - have
    say(f"lookup: generating {need:,} dossiers (have {have:,}) …")
    t0 = time.perf_counter()
    rng = random.Random(seed + have)
    cal = get_calendar()
    combos = _combos()
    today = dt.datetime.now(VN_TZ).date()
    days = [today - dt.timedelta(days=i) for i in range(1, 3 * 366)]
    days = [d for d in days if cal.is_working_day(d)]
    seq = {
        (s.agency_id, s.day): s.last
        for s in DailySequence.objects.filter(day__gte=days[-1], day__lte=days[0]).only("agency_id", "day", "last")
    }
    persons = people(20000, seed)
    now = dt.datetime.now(dt.UTC)
    fields = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Dossier._meta.db_table)
    defaults = {f.attname: (f.get_default() if f.has_default() else None) for f in fields}
    for f in fields:  # NOT NULL text columns without a default: ""; JSON defaults as JSON text
        if defaults[f.attname] is None and not f.null and f.get_internal_type() in ("CharField", "TextField"):
            defaults[f.attname] = ""
        if f.get_internal_type() == "JSONField" and defaults[f.attname] is not None:
            defaults[f.attname] = json.dumps(defaults[f.attname])
    order = [f.attname for f in fields]
    batch = 100_000
    done = 0
    while done < need:
        n = min(batch, need - done)
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for _ in range(n):
                    row = _bench_row(rng, cal, combos, days, seq, persons, now, UNITS_PER_DAY)
                    copy.write_row([row.get(k, defaults[k]) for k in order])
        done += n
        say(f"  {have + done:,} rows ({(time.perf_counter() - t0):.0f} s)")
    # Advance the daily sequences past the generated numbers.
    dseq = connection.ops.quote_name(DailySequence._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {dseq} (agency_id, day, last) VALUES (%s, %s, %s) "
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last = GREATEST({dseq}.last, EXCLUDED.last)",
            [(a, d, last) for (a, d), last in seq.items()],
        )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    say(f"  generated {need:,} rows in {time.perf_counter() - t0:.0f} s")


def _combos() -> list[dict]:
    """(procedure version, desk, receiving agency, competent agency) as the desks really receive."""
    from motcua.dossiers import services
    from motcua.org.models import Desk

    combos = []
    pool = intake_pool(1, 8, 0)
    seen = set()
    for officer in pool:
        if officer["desk"] in seen:
            continue
        seen.add(officer["desk"])
        desk_id = Desk.objects.get(code=officer["desk"]).pk
        for code, _required in officer["procedures"]:
            intake = services.prepare_intake(
                user=officer["user"],
                procedure_code=code,
                channel="counter",
                applicant={"name": "Kiểm tra", "id_number": "056085012345"},
                desk_code=officer["desk"],
                components=[],
                now=dt.datetime.now(dt.UTC),
            )
            combos.append(
                {
                    "version_id": intake.version.pk,
                    "limit_units": int(intake.version.time_limit_days * 2) * 14400,
                    "online": intake.version.online_level != "none",
                    "desk_id": desk_id,
                    "receiving_agency_id": intake.desk.agency_id,
                    "agency_code": intake.desk.agency.code,
                    "agency_id": intake.agency.pk,
                    "fee": sum(f.amount for f in intake.version.fees.all()),
                }
            )
    return combos


def _bench_row(rng, cal, combos, days, seq, persons, now, units_per_day) -> dict:
    from motcua.workcalendar.engine import VN_TZ

    c = rng.choice(combos)
    day = rng.choice(days)
    key = (c["receiving_agency_id"], day)
    number = seq.get(key, 0) + 1
    seq[key] = number
    minute = rng.randrange(480)
    hour, minute = divmod(7 * 60 + minute + (120 if minute >= 270 else 0), 60)
    submitted = dt.datetime(day.year, day.month, day.day, hour, minute, rng.randrange(60), tzinfo=VN_TZ)
    channel = "online" if c["online"] and rng.random() < 0.5 else rng.choice(["counter"] * 8 + ["post", "kiosk"])
    person = rng.choice(persons)
    row = {
        "code": f"{c['agency_code']}-{day:%y%m%d}-{number:04d}",
        "version_id": c["version_id"],
        "applicant_type": "citizen",
        "applicant_name": person["name"],
        "applicant_id_number": person["id_number"],
        "applicant_phone": person["phone"],
        "applicant_address": person["address"],
        "owner_type": "citizen",
        "owner_name": person["name"],
        "owner_id_number": person["id_number"],
        "channel": channel,
        "desk_id": c["desk_id"],
        "receiving_agency_id": c["receiving_agency_id"],
        "agency_id": c["agency_id"],
        "submitted_at": submitted,
        "return_channel": "online" if channel == "online" and rng.random() < 0.6 else "counter",
        "fee_amount": c["fee"],
        "fee_status": "paid" if c["fee"] else "none",
    }
    outcome = rng.random()
    if channel == "online" and outcome < 0.02:
        row.update(state="refused", closed_at=submitted + dt.timedelta(hours=2), lock_version=2)
        return row
    received = submitted + (dt.timedelta(hours=rng.uniform(0.5, 6)) if channel == "online" else dt.timedelta())
    off = cal.to_offset(received)
    limit = c["limit_units"]
    due = cal.from_offset((off // units_per_day + 1) * units_per_day if limit == 0 else off + limit)
    late = rng.random() < 0.02
    used = int((limit or units_per_day // 2) * (rng.uniform(1.02, 1.5) if late else rng.uniform(0.2, 0.98)))
    finished = cal.from_offset(off + used)
    returned = cal.from_offset(cal.to_offset(finished) + rng.randrange(600, 3 * units_per_day))
    row.update(received_at=received, due_at=due, original_due_at=due)
    if received > now:
        row.update(state="submitted", received_at=None, due_at=None, original_due_at=None, lock_version=1)
    elif outcome < 0.04:
        row.update(state="withdrawn", closed_at=min(finished, now), lock_version=3)
    elif outcome < 0.05:
        row.update(state="stopped", closed_at=min(finished, now), lock_version=4, outcome_reason="Có tranh chấp")
    elif returned <= now:
        row.update(
            state="returned",
            finished_at=finished,
            returned_at=returned,
            closed_at=returned,
            outcome="approved",
            lock_version=7,
        )
    elif finished <= now:
        row.update(state=rng.choice(["result_issued", "awaiting_return"]), finished_at=finished, outcome="approved")
        row["lock_version"] = 6
    else:
        state = rng.choice(["received"] + ["in_processing"] * 6 + ["consulting", "supplement_requested"])
        row.update(state=state, lock_version=3)
        if state == "supplement_requested":
            row.update(resume_state="in_processing", paused_at=received, remaining_units=limit)
    return row


def bench_lookup(args) -> None:
    from django.db import connection
    from django.db.models import Max, Min
    from django.test import Client

    from motcua.dossiers.models import Dossier

    generate_rows(args.rows, args.seed)
    total = Dossier.objects.count()
    bounds = Dossier.objects.aggregate(lo=Min("id"), hi=Max("id"))
    rng = random.Random(args.seed)
    ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(args.lookups * 2)]
    codes = list(Dossier.objects.filter(id__in=ids).values_list("code", flat=True))
    rng.shuffle(codes)
    codes = codes[: args.lookups]
    connection.close()
    report(f"lookup   GET /api/v1/public/dossiers/<code> over {total:,} dossiers, {len(codes):,} random existing codes")

    client = Client()
    for code in codes[:50]:  # warm-up
        client.get(f"/api/v1/public/dossiers/{code}")
    in_proc, bad = [], 0
    for code in codes:
        t = time.perf_counter()
        r = client.get(f"/api/v1/public/dossiers/{code}")
        in_proc.append((time.perf_counter() - t) * 1000)
        bad += r.status_code != 200
    report(f"  {'in-process':<12} {latency_line(in_proc)}  ({bad} non-200; Django test client, no network)")
    p95 = percentile(in_proc, 95)
    if not args.in_process:
        with Server(args.workers) as server:
            status, data = request(server.port, "GET", f"/api/v1/public/dossiers/{codes[0]}")
            if status != 200:
                report(f"  HTTP: endpoint not available (HTTP {status}): {data[:200]!r}")
                report()
                return

            def call(code):
                status, data = request(server.port, "GET", f"/api/v1/public/dossiers/{code}")
                return status == 200, f"HTTP {status}: {data[:200]!r}"

            samples, errors, elapsed = drive(call, 1, None, codes)
            ms = [s[1] for s in samples if s[2]]
            failed = sum(not s[2] for s in samples)
            report(f"  {'sequential':<12} {latency_line(ms)}  ({failed} errors, gunicorn -w {args.workers}, 1 client)")
            p95 = percentile(ms, 95)
            samples_c, errors_c, elapsed_c = drive(call, args.clients, min(args.seconds, 10), codes)
            ok = [s for s in samples_c if s[2]]
            report(
                f"  {'concurrent':<12} {len(ok) / elapsed_c:,.0f} lookups/s with {args.clients} clients, "
                f"{latency_line([s[1] for s in ok])}, {len(samples_c) - len(ok)} errors"
            )
            for e in (errors + errors_c)[:3]:
                report(f"  error sample: {e}")
    report(
        f"  target p95 < 20 ms ({'HTTP sequential' if not args.in_process else 'in-process'}): "
        f"{'PASS' if p95 < 20 else 'BELOW TARGET'}"
    )
    report()


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", choices=["receive", "lookup", "all"], default="all")
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of the receive run (s)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients / threads")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    ap.add_argument("--desks", type=int, default=8, help="desks the intake load is spread over")
    ap.add_argument("--officers", type=int, default=2, help="desk officers per desk (extra ones created)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="dossiers in the table for the lookup bench")
    ap.add_argument("--lookups", type=int, default=2000, help="lookups timed (sequential)")
    ap.add_argument("--in-process", action="store_true", help="no gunicorn: call the services / views in-process")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_d")
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection

    setup_province()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    if args.what in ("receive", "all"):
        bench_receive(args)
    if args.what in ("lookup", "all"):
        bench_lookup(args)
    db = urllib.parse.urlparse(url).path.lstrip("/")
    print()
    print(f"== MotCua dossier bench — PostgreSQL {pg}, database {db}, {os.cpu_count()} CPUs ==")
    for line in REPORT:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
