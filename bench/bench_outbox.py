#!/usr/bin/env python
"""Outbox drain benchmark (issue 8): events/s delivered to the national-portal simulator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_outbox \\
        .venv/bin/python bench/bench_outbox.py [--dossiers 20000] [--events 3] [--threads 8] [--batch 500]

1. migrate + demo province; top the dossier table up to ``--dossiers`` (``bench_dossiers.generate_rows``,
   COPY); give each dossier ``--events`` events (submit, receive, transfer…) and their outbox messages for
   the national portal, pending (bulk insert, payloads as ``national_portal.payload_for`` builds them);
   earlier runs' messages are reset to pending, so every run sends the same backlog;
2. start the national-portal simulator in its own process (the threaded WSGI server of the tests) and
   ``manage.py run_outbox`` (the production worker: claim with leases, groups per dossier, a thread
   pool), wait until every message is delivered;
3. report events/s (wall clock from the worker's start to the last delivery), CPU per process and the
   simulator's count (every event exactly once: no duplicates, nothing missing).

Target: ≥ 500 events/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import ensure_database, free_port, generate_rows, say, setup_province  # noqa: E402

KEY = "motcua-bench"
HZ = os.sysconf("SC_CLK_TCK")
SIMULATOR = textwrap.dedent(
    """
    import sys, time
    from simulators.common import serve_in_thread
    from simulators.national_portal.app import create_app
    url, stop = serve_in_thread(create_app(api_key=sys.argv[2]), "127.0.0.1", int(sys.argv[1]))
    print(url, flush=True)
    while True:
        time.sleep(3600)
    """
)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, IndexError, ValueError):
        return 0.0


def prepare(dossiers: int, events: int) -> int:
    """Events + pending national-portal messages for the first ``dossiers`` dossiers; returns the count."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from motcua.dossiers.models import Dossier, Event
    from motcua.dossiers.states import State
    from motcua.integration.models import NATIONAL_PORTAL, MessageStatus, OutboxMessage
    from motcua.integration.national_portal import payload_for

    generate_rows(dossiers, seed=2026)
    have = OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL).count()
    if have >= dossiers * events:
        OutboxMessage.objects.update(status=MessageStatus.PENDING, delivered_at=None, attempts=0, lease_until=None)
        say(f"outbox: {have:,} messages reset to pending")
        return have
    chain = [("submit", "", State.SUBMITTED), ("receive", State.SUBMITTED, State.RECEIVED)]
    chain += [
        ("transfer", State.RECEIVED, State.IN_PROCESSING),
        ("request_supplement", State.IN_PROCESSING, State.SUPPLEMENT_REQUESTED),
    ]
    chain = chain[:events]
    now = timezone.now()
    ids = list(Dossier.objects.order_by("id").values_list("id", flat=True)[:dossiers])
    t0 = time.perf_counter()
    for start in range(0, len(ids), 2000):
        batch = list(
            Dossier.objects.filter(id__in=ids[start : start + 2000]).select_related("version__procedure", "agency")
        )
        with transaction.atomic():
            evs = [
                Event(
                    dossier=d,
                    action=a,
                    at=now - dt.timedelta(minutes=len(chain) - i),
                    actor_name="Bench",
                    actor_role="system",
                    from_state=f,
                    to_state=t,
                )
                for d in batch
                for i, (a, f, t) in enumerate(chain)
            ]
            Event.objects.bulk_create(evs, batch_size=2000)
            OutboxMessage.objects.bulk_create(
                [
                    OutboxMessage(
                        receiver=NATIONAL_PORTAL,
                        dossier=e.dossier,
                        event=e,
                        seq=i % len(chain) + 1,
                        key=f"{NATIONAL_PORTAL}:{e.pk}",
                        payload=payload_for(e, e.dossier, i % len(chain) + 1),
                        next_attempt_at=now,
                        created_at=now,
                    )
                    for i, e in enumerate(evs)
                ],
                batch_size=2000,
            )
    total = OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL).count()
    say(f"outbox: {total:,} pending messages for {len(ids):,} dossiers ({time.perf_counter() - t0:.0f} s)")
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dossiers", type=int, default=20_000)
    ap.add_argument("--events", type=int, default=3, help="events per dossier (1–4)")
    ap.add_argument("--threads", type=int, default=8, help="worker threads (dossiers sent in parallel)")
    ap.add_argument("--batch", type=int, default=500, help="messages claimed per round")
    args = ap.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_outbox"
        )
    ensure_database(url)
    import django

    django.setup()
    setup_province()
    total = prepare(args.dossiers, args.events)

    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-c", SIMULATOR, str(port), KEY], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    sim_url = sim.stdout.readline().strip()
    env = {
        **os.environ,
        "NATIONAL_PORTAL_URL": sim_url,
        "NATIONAL_PORTAL_API_KEY": KEY,
        "OUTBOX_THREADS": str(args.threads),
        "OUTBOX_BATCH": str(args.batch),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    from motcua.integration.models import MessageStatus, OutboxMessage

    load0 = os.getloadavg()[0]
    sim_cpu0 = cpu_seconds(sim.pid)
    t0 = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "manage.py", "run_outbox", "--idle", "0.2"], cwd=ROOT, env=env)
    try:
        while True:
            time.sleep(0.5)
            left = OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).count()
            if left == 0:
                break
            if worker.poll() is not None:
                sys.exit("the worker stopped")
        elapsed = time.perf_counter() - t0
        worker_cpu, sim_cpu = cpu_seconds(worker.pid), cpu_seconds(sim.pid) - sim_cpu0
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    import requests

    summary = requests.get(f"{sim_url}/_sim/summary", timeout=5).json()
    sim.terminate()
    rate = total / elapsed
    say(
        f"drained {total:,} events in {elapsed:.1f} s: {rate:,.0f} events/s "
        f"(threads {args.threads}, batch {args.batch})"
    )
    say(f"  CPU: worker {worker_cpu:.1f} s, simulator {sim_cpu:.1f} s; load {load0:.2f}→{os.getloadavg()[0]:.2f}")
    say(
        f"  simulator: {summary['events']:,} events stored, {summary['duplicates']} duplicates, "
        f"{summary['out_of_order']} out of order"
    )
    verdict = "PASS" if rate >= 500 else "MISS"
    say(f"target ≥ 500 events/s on 2 cores: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
