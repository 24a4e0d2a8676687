"""Load test: 200 concurrent citizens submit an online dossier and track it (locust, loopback only).

Run (the driver: prepares the database, starts the population simulator and gunicorn, runs locust
headless, then checks the database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_load .venv/bin/python bench/load_citizens.py \
        [--users 200] [--spawn-rate 50] [--seconds 60] [--workers 4]

Each simulated citizen: opens the wizard ``/cong-dan/nop-ho-so/1.001193/`` (a draft, e-form prefilled from the
population simulator), posts the e-form, uploads the birth notice (TP02, a small valid PDF), submits on the
review page, then keeps tracking the dossier: the public page ``/tra-cuu/<code>/``, the API
``/api/v1/public/dossiers/<code>`` and their own page ``/cong-dan/ho-so/<code>/``.

Bench-only shortcuts (said here and in bench/README.md): the 200 citizen accounts are created directly with
``identity.login_vneid`` from persons of the population simulator (no VNeID round trip), and their session
cookies are written straight into the session store; gunicorn runs with ``PUBLIC_TRACKING_RATE=1000000/min``
(all locust users share one IP, 127.0.0.1, and the per-IP public tracking limit would otherwise refuse them).

Checks after the run: locust reports zero failures; every submit that answered "submitted" (the redirect to
the citizen's dossier) is a dossier in the database (zero lost); no draft / idempotency key has two dossiers
and the number of dossiers the run created equals the number of distinct codes (zero duplicated).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[1]
CITIZENS_FILE = ROOT / "var" / "bench_load_citizens.json"
RESULTS_DIR = ROOT / "var" / "bench_load"
PROCEDURE = "1.001193"  # birth registration: e-form (TP01) + birth notice (TP02)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# ------------------------------------------------------------------------------------------------
# The locust side (``locust -f bench/load_citizens.py``): reads the citizens the driver prepared
# ------------------------------------------------------------------------------------------------
_citizens: list[dict] = []
_next = iter(())
_lock = threading.Lock()
_submitted: list[dict] = []


@events.init.add_listener
def _load(environment, **_):
    global _citizens, _next
    if CITIZENS_FILE.exists():
        _citizens = json.loads(CITIZENS_FILE.read_text())
        _next = iter(_citizens)


@events.test_stop.add_listener
def _save(environment, **_):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "submitted.json").write_text(json.dumps(_submitted))


# Think time between two rounds of tracking, seconds (the driver's --wait, passed on as LOAD_WAIT).
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "0.5,2").split(","))


class Citizen(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        with _lock:
            self.me = next(_next, None)
        self.code = None
        if self.me is None:
            raise RuntimeError("more locust users than prepared citizens")
        self.client.cookies.set("sessionid", self.me["session"])

    def _csrf(self, html: str) -> str:
        m = CSRF_RE.search(html)
        return m.group(1) if m else ""

    def _submit(self) -> None:
        with self.client.get(f"/cong-dan/nop-ho-so/{PROCEDURE}/", name="1 start (draft)", catch_response=True) as r:
            if r.status_code != 200 or "/to-khai/" not in r.url:
                r.failure(f"start {r.status_code} {r.url}")
                return
        form_url = r.url
        data = {**self.me["form"], "csrfmiddlewaretoken": self._csrf(r.text)}
        with self.client.post(form_url, data=data, name="2 e-form", allow_redirects=False, catch_response=True) as p:
            if p.status_code != 302:
                errs = re.findall(r"usa-error-message[^>]*>([^<]+)<", p.text)
                p.failure(f"e-form {p.status_code}: {errs[:3]}")
                return
        papers_url = form_url.replace("/to-khai/", "/giay-to/")
        page = self.client.get(papers_url, name="3 papers page")
        files = {"file_TP02": ("giay-chung-sinh.pdf", self.me_pdf(), "application/pdf")}
        with self.client.post(
            papers_url,
            data={"action": "next", "csrfmiddlewaretoken": self._csrf(page.text)},
            files=files,
            name="4 upload",
            allow_redirects=False,
            catch_response=True,
        ) as p:
            if p.status_code != 302:
                p.failure(f"upload {p.status_code}: {p.text[:300]}")
                return
        review_url = form_url.replace("/to-khai/", "/xem-lai/")
        page = self.client.get(review_url, name="5 review page")
        with self.client.post(
            review_url,
            data={"csrfmiddlewaretoken": self._csrf(page.text)},
            name="6 submit",
            allow_redirects=False,
            catch_response=True,
        ) as p:
            m = re.search(r"/cong-dan/ho-so/([^/]+)/$", p.headers.get("Location", ""))
            if p.status_code != 302 or not m:
                p.failure(f"submit {p.status_code}: {p.text[:300]}")
                return
            self.code = m.group(1)
            with _lock:
                _submitted.append({"code": self.code, "id_number": self.me["id_number"]})

    def me_pdf(self) -> bytes:
        return bytes.fromhex(self.me["pdf"])

    @task
    def work(self):
        if self.code is None:
            self._submit()
            return
        self.client.get(f"/tra-cuu/{self.code}/", name="7 public tracking page")
        with self.client.get(
            f"/api/v1/public/dossiers/{self.code}", name="8 public tracking API", catch_response=True
        ) as r:
            if r.status_code != 200 or r.json().get("code") != self.code:
                r.failure(f"tracking API {r.status_code}")
        self.client.get(f"/cong-dan/ho-so/{self.code}/", name="9 my dossier page")


# ------------------------------------------------------------------------------------------------
# The driver (``python bench/load_citizens.py``)
# ------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pdf(note: str) -> bytes:
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Subject"] = note
    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True)
    return buf.getvalue()


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    import django

    django.setup()


def _ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if not name.startswith("motcua_bench"):
        raise SystemExit("DATABASE_URL must name a benchmark database (motcua_bench_…)")
    base = url.rsplit("/", 1)[0]
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')


def prepare(n: int, population_url: str) -> dict:
    """Migrate, the demo province + catalog once, ``n`` citizens with session cookies (bench shortcut)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from motcua.catalog.models import Procedure
    from motcua.identity import services as identity
    from motcua.org.models import Desk
    from simulators.population import people

    call_command("migrate", verbosity=0)
    if not Procedure.objects.filter(code=PROCEDURE).exists():
        call_command("load_demo", no_dossiers=True, quiet=True)
    settings.POPULATION_DB_URL = population_url
    agency = Desk.objects.get(code="MC-99001").agency
    citizens, i = [], 0
    pdf = _pdf("bench")
    while len(citizens) < n:
        p = people.person(i)
        i += 1
        if p["date_of_birth"] > "2000-01-01" or p.get("date_of_death"):
            continue
        user = identity.login_vneid(
            {
                "sub": f"bench-load-{p['id_number']}",
                "citizen_id": p["id_number"],
                "name": p["full_name"],
                "birthdate": p["date_of_birth"],
            }
        )
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        form = {
            "declarant_name": p["full_name"],
            "declarant_relation": "cha" if p["sex"] == "male" else "me",
            "child_name": "Nguyễn Minh Khang",
            "child_sex": "male",
            "child_birth_date": time.strftime("%d/%m/%Y"),
            "birth_place": "Trạm y tế phường Bình Minh",
            "phone": "0912345678",
            "address": "Số 12, phường Bình Minh",
            "return_channel": "online",
            "agency": str(agency.pk),
        }
        citizens.append({"id_number": p["id_number"], "session": s.session_key, "form": form, "pdf": pdf.hex()})
    CITIZENS_FILE.parent.mkdir(parents=True, exist_ok=True)
    CITIZENS_FILE.write_text(json.dumps(citizens))
    return {"citizens": citizens}


def check(started_at, submitted: list[dict]) -> dict:
    from django.db.models import Count

    from motcua.dossiers.models import Dossier, Draft

    codes = [s["code"] for s in submitted]
    ids = {c["id_number"] for c in json.loads(CITIZENS_FILE.read_text())}
    created = Dossier.objects.filter(applicant_id_number__in=ids, submitted_at__gte=started_at, channel="online")
    found = set(created.filter(code__in=codes).values_list("code", flat=True))
    per_key = created.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()
    drafts_with_two = (
        Draft.objects.filter(dossier__in=created).values("dossier").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    per_citizen = created.values("applicant_id_number").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "submitted_ok": len(codes),
        "distinct_codes": len(set(codes)),
        "dossiers_created": created.count(),
        "lost": len(set(codes) - found),
        "duplicated_keys": per_key,
        "drafts_with_two_dossiers": drafts_with_two,
        "citizens_with_two_dossiers": per_citizen,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--spawn-rate", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--wait", default="0.5,2", help="think time MIN,MAX seconds between two rounds of tracking")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Run on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_load")
    _ensure_database(url)
    _setup_django()
    from django.db import connection
    from django.utils import timezone

    from simulators.common import serve_in_thread
    from simulators.population.app import create_app

    key = "motcua-bench"
    population_url, stop_population = serve_in_thread(create_app(api_key=key))
    os.environ["NATIONAL_API_KEY"] = key
    from django.conf import settings

    settings.NATIONAL_API_KEY = key
    prepare(args.users, population_url)
    connection.close()
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "POPULATION_DB_URL": population_url,
        "NATIONAL_API_KEY": key,
        "PUBLIC_TRACKING_RATE": "1000000/min",  # bench only: every locust user comes from 127.0.0.1
        "CITIZEN_SUBMIT_RATE": "1000000/min",
        "NATIONAL_PORTAL_SYNC": "false",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "motcua.wsgi",
            "-w",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        import requests

        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        started_at = timezone.now()
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(Path(__file__).resolve()),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(RESULTS_DIR / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore", "LOAD_WAIT": args.wait},
        )
        elapsed = time.monotonic() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        stop_population()
    # CPU seconds: locust (the client) while it ran; gunicorn (master + workers, reaped) over its whole life.
    cpu2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    server_cpu = (cpu2.ru_utime + cpu2.ru_stime) - (cpu1.ru_utime + cpu1.ru_stime)
    submitted = json.loads((RESULTS_DIR / "submitted.json").read_text())
    result = check(started_at, submitted)
    rows = list(csv.DictReader(open(RESULTS_DIR / "stats_stats.csv")))
    print(
        f"\n== load_citizens: {args.users} citizens, {args.seconds} s, gunicorn -w {args.workers} ({elapsed:.0f} s) =="
    )
    print(f"{'request':<28}{'n':>7}{'fail':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}  (ms)")
    for r in rows:
        print(
            f"{r['Name']:<28}{r['Request Count']:>7}{r['Failure Count']:>6}{float(r['Requests/s']):>8.1f}"
            f"{r['50%']:>7}{r['95%']:>7}{r['99%']:>7}"
        )
    total = next((int(r["Request Count"]) for r in rows if r["Name"] == "Aggregated"), 0) or 1
    print(
        f"think time {args.wait} s; CPU over the run: locust {locust_cpu:.1f} s ({locust_cpu / elapsed:.2f} cores), "
        f"gunicorn {server_cpu:.1f} s ({1000 * server_cpu / total:.1f} ms per request); 2 cores in all; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(json.dumps(result))
    failures = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    ok = (
        proc.returncode == 0
        and failures == 0
        and result["lost"] == 0
        and result["duplicated_keys"] == 0
        and result["drafts_with_two_dossiers"] == 0
        and result["dossiers_created"] == result["distinct_codes"] == result["submitted_ok"]
    )
    print("OK: zero errors, zero lost, zero duplicated" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
