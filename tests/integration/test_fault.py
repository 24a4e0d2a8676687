"""Fault test of the national-portal sync (issue 8): 2,000 dossiers with several events each are
created while the portal simulator answers errors, timeouts and "stored, then 500" for a while and
the outbox worker is killed and restarted twice; at the end the portal holds every event exactly
once and in order per dossier.

On PostgreSQL the worker is the real ``manage.py run_outbox`` process, killed with SIGKILL mid-work
(its leases run out and another worker takes over). On SQLite (an in-memory test database no other
process can open) the worker runs in this process, and a "kill" is a worker that claims a batch,
sends part of it and vanishes before recording anything — the state SIGKILL leaves behind.
``OUTBOX_FAULT_DOSSIERS`` changes the number of dossiers (default 2,000).
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from motcua.dossiers import services
from motcua.integration import outbox
from motcua.integration.models import NATIONAL_PORTAL, MessageStatus, OutboxMessage

from .conftest import KEY

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
N = int(os.environ.get("OUTBOX_FAULT_DOSSIERS", "2000"))
CHAOS = {"error_rate": 0.1, "timeout_rate": 0.02, "timeout_ms": 600, "commit_then_error_rate": 0.05, "seed": 8}
FAST = {
    "NATIONAL_PORTAL_TIMEOUT": "0.3",
    "OUTBOX_RETRY_BASE": "0.05",
    "OUTBOX_RETRY_MAX": "0.5",
    "OUTBOX_LEASE_SECONDS": "2",
    "OUTBOX_MAX_ATTEMPTS": "100000",
}
APPLICANTS = [
    {"name": "Nguyễn Văn An", "id_number": "001085012345"},
    {"name": "Trần Thị Bình", "id_number": "001185012346"},
    {"name": "Lê Minh Châu", "id_number": "001090001234"},
]


class ProcessWorker:
    """``manage.py run_outbox`` on the test database (PostgreSQL)."""

    def __init__(self, portal: str):
        db = connection.settings_dict
        url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "NATIONAL_PORTAL_URL": portal,
            "NATIONAL_PORTAL_API_KEY": KEY,
            "LOG_LEVEL": "CRITICAL",
            **FAST,
        }
        self.kills = 0
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_outbox", "--idle", "0.1"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.kills += 1

    def step(self):
        pass  # it runs on its own

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class InProcessWorker:
    """The same delivery code in this process; ``kill`` abandons a claimed, half-sent batch."""

    def __init__(self, portal: str):
        self.kills = 0
        self.alive = False

    def start(self):
        self.alive = True

    def kill(self):
        messages = outbox.claim(200, outbox.timezone.now(), 2)  # claimed (leased) …
        runnable, _ = outbox._runnable_groups(messages)
        for group in runnable[: len(runnable) // 2]:
            outbox._send_group(group)  # … half of it sent, nothing recorded: the process is gone
        self.kills += 1
        self.alive = False

    def step(self):
        if self.alive:
            outbox.drain_once(limit=300)

    def stop(self):
        self.alive = False


def test_every_event_exactly_once_and_in_order(province, users, portal, settings):
    for name, value in FAST.items():
        setattr(settings, name, float(value) if "." in value else int(value))
    requests.post(f"{portal}/_sim/chaos", json=CHAOS, timeout=2).raise_for_status()
    worker = (ProcessWorker if connection.vendor == "postgresql" else InProcessWorker)(portal)
    worker.start()
    rng = random.Random(5)
    kill_at = {N // 3, 2 * N // 3}
    desk, handler = users["motcua.xa"], users["chuyenvien.xa"]
    started = time.monotonic()
    try:
        for i in range(N):
            d, _ = services.create_dossier(
                user=desk,
                procedure_code="1.001193",
                channel="counter",
                applicant=APPLICANTS[i % len(APPLICANTS)],
                components=["TP01", "TP02"],
                identity={"status": "verified"},
                fee_paid=True,
            )  # submit + receive
            d = services.act(d, "transfer", user=desk)  # received → in processing
            if rng.random() < 0.3:
                d = services.act(
                    d, "request_supplement", user=handler, reason="Bổ sung giấy chứng sinh.", data={"missing": ["TP02"]}
                )
            if i in kill_at:
                worker.kill()
                worker.start()
            if i % 50 == 0:
                worker.step()
        # The portal recovers.
        requests.delete(f"{portal}/_sim/chaos", timeout=2)
        deadline = time.monotonic() + 300
        while OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL).exclude(status=MessageStatus.DELIVERED).exists():
            assert time.monotonic() < deadline, "the outbox did not drain in 5 minutes"
            worker.step()
            time.sleep(0.2)
    finally:
        worker.stop()
    elapsed = time.monotonic() - started

    assert worker.kills == 2
    ours = {}
    for code, event_id, seq in (
        OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL)
        .order_by("dossier_id", "seq")
        .values_list("dossier__code", "event_id", "seq")
    ):
        ours.setdefault(code, []).append((seq, event_id))
    assert len(ours) == N and not OutboxMessage.objects.filter(status=MessageStatus.DEAD).exists()
    summary = requests.get(f"{portal}/_sim/summary", timeout=5).json()
    total = sum(len(v) for v in ours.values())
    assert summary["events"] == total and summary["dossiers"] == N  # nothing lost, nothing twice
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    for code, expected in ours.items():  # in order per dossier, each event once
        held = session.get(f"{portal}/api/v1/dossiers/{code}", timeout=5).json()["events"]
        assert [(e["seq"], e["event_id"]) for e in held] == expected, code
    print(
        f"\nfault test: {N} dossiers, {total} events, {worker.kills} worker kills, "
        f"duplicates absorbed {summary['duplicates']}, out-of-order refused {summary['out_of_order']}, {elapsed:.0f} s"
    )
