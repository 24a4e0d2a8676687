#!/usr/bin/env python
"""Document full-text search benchmark on PostgreSQL: ``documents.search.search`` over 1,000,000
indexed documents, as a commune officer (sees the documents of the dossiers visible to them) and as
an inspector (sees all), in-process and through gunicorn (``GET /can-bo/tai-lieu/?q=``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_docs \\
        .venv/bin/python bench/bench_documents.py [--docs 1000000] [--dossiers 200000] [-n 200]

1. migrate, load the demo organization + catalog; top the dossier table up to ``--dossiers`` with
   ``bench_dossiers.generate_rows`` (every state, every agency);
2. top the document table up to ``--docs`` in SQL: each document belongs to a random dossier (its
   agency, its owner) and carries ~60 folded words of OCR text drawn from a skewed vocabulary of
   Vietnamese syllables (some words match ~40 % of documents, the rare ones a handful), so the
   stored ``search_vector`` column and its GIN index are realistic; the GIN index is rebuilt after
   the load;
3. time queries: a common word, a rare word, two words, a prefix, an ID number, a word matching
   nothing — sequentially, ``-n`` times each mix. Prints p50/p95/p99 and the plan. Target: p95 <
   100 ms.

The database is created when missing and kept between runs; drop it with
``dropdb -h 127.0.0.1 -U postgres motcua_bench_docs``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import (  # noqa: E402 (after the path and settings set-up)
    Server,
    ensure_database,
    generate_rows,
    latency_line,
    request,
    say,
    setup_province,
)

REPORT: list[str] = []
ONSETS = "b c ch d g gi h k kh l m n ng nh p ph qu r s t th tr v x".split()
RIMES = (
    "a ai am an ang anh ao au ay e em en eng eo i ia im in inh it iu o oi om on ong oc u ui um un ung uy "
    "uoc uong uon ua ue uan uat uyen uyet ieu iem ien iet ac at ap ach ich ec ep et op ot up ut ươ"
).split()


def vocabulary(seed: int) -> list[str]:
    rng = random.Random(seed)
    words = sorted({o + r for o in ONSETS for r in RIMES if r.isascii()})
    rng.shuffle(words)
    return words


def generate_documents(target: int, seed: int) -> None:
    from django.db import connection

    from motcua.documents.models import Document

    have = Document.objects.count()
    if have >= target:
        say(f"documents: {have:,} already (≥ {target:,})")
        return
    words = vocabulary(seed)
    need = target - have
    say(f"documents: generating {need:,} (have {have:,}), vocabulary {len(words):,} words …")
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SELECT min(id), max(id) FROM dossiers_dossier")
        lo, hi = c.fetchone()
        c.execute("DROP INDEX IF EXISTS doc_search_gin")
        batch = 100_000
        done = 0
        while done < need:
            n = min(batch, need - done)
            # random()^3 skews towards the first words of the vocabulary (common words).
            c.execute(
                """
                INSERT INTO documents_document (kind, dossier_id, agency_id, component_code, result_code, name,
                    title, owner_type, owner_id_number, owner_name, doc_number, issuer, source, uploaded_at,
                    ocr_status, ocr_stage, ocr_error, ocr_attempts, text, detected_kind, fields, signatures,
                    signed, search_text)
                SELECT 'component', d.id, d.agency_id, 'TP0' || (1 + g %% 4), '', 'scan-' || g || '.pdf',
                    'Giấy tờ số hóa', 'citizen', d.owner_id_number, d.owner_name, '', '', 'paper_scan', now(),
                    'done', '', '', 1, '', '', '[]', '[]', false,
                    d.owner_id_number || ' ' || (
                        SELECT string_agg((%(words)s::text[])[1 + floor(%(nw)s * power(random(), 3))::int], ' ')
                        FROM generate_series(1, 60 + g * 0)
                    )
                FROM generate_series(1, %(n)s) g
                JOIN LATERAL (
                    SELECT id, agency_id, owner_id_number, owner_name FROM dossiers_dossier
                    WHERE id >= %(lo)s + floor(random() * (%(span)s + g * 0))::int ORDER BY id LIMIT 1
                ) d ON true
                """,
                {"words": words, "nw": len(words), "n": n, "lo": lo, "span": hi - lo},
            )
            done += n
            say(f"  {have + done:,} documents ({time.perf_counter() - t0:.0f} s)")
        say("  building the GIN index …")
        c.execute("CREATE INDEX doc_search_gin ON documents_document USING gin (search_vector)")
        c.execute("ANALYZE documents_document")
    say(f"  done in {time.perf_counter() - t0:.0f} s")


def queries(seed: int) -> list[tuple[str, str]]:
    from motcua.documents.models import Document

    words = vocabulary(seed)
    id_number = Document.objects.order_by("-pk").values_list("owner_id_number", flat=True).first()
    return [
        ("common word", words[0]),
        ("rare word", words[-3]),
        ("two words", f"{words[1]} {words[40]}"),
        ("prefix", words[200][:3]),
        ("ID number", id_number),
        ("no match", "zzzyyyxxx"),
    ]


def _timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from bench.bench_inbox import _cookie
    from motcua.documents import search
    from motcua.documents.models import Document
    from motcua.dossiers.models import Dossier
    from motcua.org.models import Desk, StaffMembership
    from motcua.org.roles import Role

    users = get_user_model().objects
    small, inspector = users.get(username="motcua.xa"), users.get(username="thanhtra")
    # The busiest desk's officer: a large scope (tens of thousands of dossiers).
    busiest = Dossier.objects.values("desk").annotate(n=Count("pk")).order_by("-n").first()["desk"]
    desk = Desk.objects.select_related("agency").get(pk=busiest)
    officer, _ = users.get_or_create(username="bench.motcua", defaults={"first_name": "Bench"})
    StaffMembership.objects.get_or_create(user=officer, agency=desk.agency, desk=desk, role=Role.DESK_OFFICER)
    total = Document.objects.count()
    REPORT.append(f"documents: {total:,} in all")
    for who, user in (("officer", officer), ("small", small)):
        n = Document.objects.visible_to(user).count()
        REPORT.append(f"  {who:<9} {user.username}: {n:,} visible documents")
    mix = queries(args.seed)
    for who, user in (("officer", officer), ("small", small), ("inspector", inspector)):
        every = []
        for label, q in mix:
            search.search(user, q)  # warm
            ms = _timed(lambda q=q, user=user: search.search(user, q), args.n // len(mix) + 1)
            every += ms
            hits = len(search.search(user, q))
            REPORT.append(f"  {who:<9} {label:<12} {latency_line(ms)}  ({hits} on page 1)")
        REPORT.append(f"  {who:<9} {'ALL':<12} {latency_line(every)}  in-process")
    with connection.cursor() as c:
        qs = search.matching(Document.objects.visible_to(officer), mix[0][1]).order_by("-pk")[:20]
        sql, params = qs.query.sql_with_params()
        c.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
        plan = [r[0] for r in c.fetchall()]
    REPORT.append("  plan (officer, common word):")
    REPORT.extend(f"    {p}" for p in plan[:14])
    REPORT.extend(f"    {p}" for p in plan[-2:])
    if args.http:
        cookie = _cookie(officer)
        with Server(args.workers) as server:
            every = []
            for _label, q in mix:
                path = "/can-bo/tai-lieu/?" + urllib.parse.urlencode({"q": q})
                request(server.port, "GET", path, headers={"Cookie": cookie})
                every += _timed(
                    lambda p=path: request(server.port, "GET", p, headers={"Cookie": cookie}), args.n // len(mix) + 1
                )
            http = f"HTTP (gunicorn, {args.workers} workers)"
            REPORT.append(f"  officer   {http} {latency_line(every)}  target p95 < 100 ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=1_000_000)
    p.add_argument("--dossiers", type=int, default=200_000)
    p.add_argument("-n", type=int, default=300, help="timed searches per user (spread over the query mix)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-http", dest="http", action="store_false")
    args = p.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database (see the docstring).", file=sys.stderr)
        return 2
    ensure_database(url)
    import django

    django.setup()
    setup_province()
    generate_rows(args.dossiers, args.seed)
    generate_documents(args.docs, args.seed)
    bench(args)
    print("\n".join(["", "=== document search ===", *REPORT]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
