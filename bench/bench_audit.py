"""Audit log benchmark (PostgreSQL): seal and verify throughput on ~1,000,000 rows, and the
per-event cost the audit rows add to ``dossiers.services.save_events``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_audit \\
        .venv/bin/python bench/bench_audit.py [--rows 1000000]

Each run empties the audit table (TRUNCATE: the benchmark database only; the guard triggers are row
triggers), loads ``--rows`` unsealed rows with COPY (a realistic mix: reads, prints, exports, dossier
changes, sign-ins), then times ``chain.seal()`` (every row: HMAC + one batched UPDATE per 5,000) and
``chain.verify()`` (keyset pages of 20,000, every hash recomputed), and finally ``log_events`` per event
against the whole ``save_events`` per event on a real dossier of the demo province.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import ensure_database, percentile, say  # noqa: E402

REPORT: list[str] = []


def report(line: str = "") -> None:
    REPORT.append(line)
    say(line)


def load_rows(n: int) -> float:
    """TRUNCATE the audit table and COPY ``n`` unsealed rows; returns seconds."""
    import datetime as dt
    import json
    import random

    from django.db import connection

    from motcua.audit.models import ChainState

    rnd = random.Random(10)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_dataaccess RESTART IDENTITY")
    ChainState.objects.all().delete()
    ChainState.objects.create(pk=1)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    kinds = ["read"] * 6 + ["print", "export", "change", "change", "auth"]
    columns = (
        "at, kind, client_id, roles, agencies, action, object_type, object_ref, subject_id_number, "
        "purpose, dossier_code, ip, detail, prev_hash, hash"
    )
    raw = connection.connection  # psycopg 3
    with raw.cursor() as cur, cur.copy(f"COPY audit_dataaccess ({columns}) FROM STDIN") as copy:
        for i in range(n):
            kind = kinds[i % len(kinds)]
            code = f"000.01.31.H99-2601{i % 28 + 1:02d}-{i % 9999 + 1:04d}"
            detail = {"event": i, "from": "received", "to": "processing"} if kind == "change" else {}
            copy.write_row(
                (
                    base + dt.timedelta(seconds=i * 3),
                    kind,
                    "",
                    "specialist",
                    "000.01.31.H99",
                    kind if kind != "change" else "assign",
                    "dossier",
                    code,
                    f"0010850{rnd.randrange(100000):05d}",
                    "xem hồ sơ",
                    code,
                    f"10.0.{i % 250}.{i % 200 + 1}",
                    json.dumps(detail),
                    "",
                    "",
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_dataaccess")
    return time.perf_counter() - started


def demo_dossier():
    import datetime as dt

    from django.contrib.auth import get_user_model

    from motcua.catalog.interchange import parse_json
    from motcua.catalog.services import publish_all
    from motcua.common.management.commands.load_demo import FIXTURE
    from motcua.dossiers import services
    from motcua.org.demo import load_org
    from motcua.org.models import Agency
    from motcua.workcalendar.engine import VN_TZ

    if not Agency.objects.exists():
        load_org()
        publish_all(parse_json(FIXTURE.read_bytes()))
    user = get_user_model().objects.get(username="motcua.xa")
    citizen = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}
    d, _ = services.create_dossier(
        user=user,
        procedure_code="1.001193",
        channel="counter",
        applicant=citizen,
        now=dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),
        components=["TP01", "TP02"],
        fee_paid=True,
    )
    return d


def event_overhead(runs: int) -> tuple[list[float], list[float]]:
    """(log_events µs/event, save_events µs/event) for batches shaped like the dossier's own events."""
    from django.db import transaction

    from motcua.audit.services import log_events
    from motcua.dossiers.models import Event
    from motcua.dossiers.services import save_events

    d = demo_dossier()
    template = list(d.events.order_by("id"))
    fields = ["action", "at", "actor_id", "actor_name", "actor_role", "agency_id", "from_state", "to_state", "step_id"]

    def batch():
        return [Event(dossier=d, payload={}, **{f: getattr(e, f) for f in fields}) for e in template]

    audit, whole = [], []
    for _ in range(runs):
        events = batch()
        with transaction.atomic():
            Event.objects.bulk_create(events)
            t0 = time.perf_counter()
            log_events(events)
            audit.append((time.perf_counter() - t0) * 1e6 / len(events))
        events = batch()
        with transaction.atomic():
            t0 = time.perf_counter()
            save_events(events)
            whole.append((time.perf_counter() - t0) * 1e6 / len(events))
    return audit, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--event-runs", type=int, default=500)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_audit"
        )
    ensure_database(url)
    anchors = Path(tempfile.mkdtemp(prefix="audit-bench-")) / "anchors.log"
    os.environ["AUDIT_ANCHOR_PATH"] = str(anchors)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from motcua.audit import chain

    say(f"Loading {args.rows:,} audit rows (COPY)…")
    loaded = load_rows(args.rows)
    report(f"load (COPY)      {args.rows:>10,} rows in {loaded:6.1f} s")

    t0 = time.perf_counter()
    sealed = chain.seal()
    seal_s = time.perf_counter() - t0
    report(f"seal             {sealed:>10,} rows in {seal_s:6.1f} s = {sealed / seal_s:10,.0f} rows/s")

    t0 = time.perf_counter()
    result = chain.verify()
    verify_s = time.perf_counter() - t0
    report(
        f"verify           {result.checked:>10,} rows in {verify_s:6.1f} s = {result.checked / verify_s:10,.0f} rows/s"
        f"  ({'intact' if result.ok else f'{len(result.findings)} findings!'})"
    )

    say("save_events overhead…")
    audit, whole = event_overhead(args.event_runs)
    report(f"log_events       p50 {statistics.median(audit):7.1f} µs/event  p95 {percentile(audit, 95):7.1f} µs/event")
    report(
        f"save_events      p50 {statistics.median(whole):7.1f} µs/event  p95 {percentile(whole, 95):7.1f} µs/event"
        f"  (audit share of p50: {statistics.median(audit) / statistics.median(whole) * 100:.0f} %)"
    )
    say("")
    say("=" * 72)
    for line in REPORT:
        say(line)


if __name__ == "__main__":
    main()
