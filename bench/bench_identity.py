#!/usr/bin/env python
"""E-data store and national-database benchmarks (#6): the reuse proposal of an intake over
10,000,000 stored documents (PostgreSQL), and the population lookup through the adapter.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_wallet \\
        .venv/bin/python bench/bench_identity.py [reuse|population|all] [options]

reuse       migrate, load the demo organization + catalog, receive ``--dossiers`` dossiers through
            ``dossiers.services.create_dossier`` (the papers of a received dossier are reusable),
            then top ``documents_document`` up to ``--docs`` rows with COPY in batches (bench data
            only, kept between runs): ``--owners`` owners (12-digit IDs, ~5 documents each, scattered
            over the table as they would be over the years), doc types from the catalog's
            ``reuse_from`` lists (30 %) and every "<procedure>:<TPxx|KQxx>" of the demo catalog
            (70 %), kinds result / certified copy / dossier paper / own upload, 5 % revoked, 10 %
            expired; every row's ``current`` is one shared DocumentVersion (one Blob). A load of
            ≥ 500,000 rows drops the table's non-unique indexes (definitions kept in a bookkeeping
            table, so an interrupted run restores them next time) and rebuilds them after it; FK
            triggers are off for the load (superuser); ANALYZE. Then time
            ``wallet.services.proposals(version, [owner], population_answered=True)`` in-process
            for ``-n`` calls (half owners holding a matching valid paper, half random owners) over
            every in-force procedure version with a ``reuse_from``, after ``--warmup`` calls; also
            the reuse query alone, the queries per call, and EXPLAIN ANALYZE of the reuse query.
            Target: p95 < 30 ms.
population  start the population simulator in a thread, point POPULATION_DB_URL / NATIONAL_API_KEY
            at it and time ``identity.adapters.population().lookup(id)`` for ``--people`` distinct
            people with the cache empty (cold: one HTTP call each), then ``--warm-calls`` lookups of
            the same people (warm: served by the cache; the simulator's request counter gives the
            misses). The cache is Redis (``CACHE_URL=rediscache://127.0.0.1:6379/5`` unless
            CACHE_URL is set) when the ``redis`` package is installed and the server answers, else
            the settings' default (LocMem, 300 entries per process: said in the output; then a raw
            RESP GET of one record shows what a Redis hit would cost). Target (warm): p95 < 5 ms.
all         both (default).

The database is created when missing and kept between runs; drop it with
``dropdb -h 127.0.0.1 -U postgres motcua_bench_wallet``. Figures are printed in one block at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import os
import pickle
import random
import socket
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import (  # noqa: E402 (after the path and settings set-up)
    ensure_database,
    intake_pool,
    latency_line,
    people,
    receive_jobs,
    say,
    setup_province,
)

REPORT: list[str] = []
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_wallet"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 5
REUSE_SHARE = 0.30  # share of documents whose type some component's reuse_from names
BULK = 500_000  # a load of at least this many rows drops the secondary indexes and rebuilds them after
REVOKED, EXPIRED, EXPIRING = 0.05, 0.10, 0.15  # revoked; expired (valid_until past); valid_until ahead


def report(line: str = "") -> None:
    REPORT.append(line)


def fine_line(ms: list[float]) -> str:
    """``latency_line`` to the microsecond (cache hits are far below 0.1 ms)."""
    ordered = sorted(ms)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return f"p50 {at(50):.3f} ms  p95 {at(95):.3f} ms  p99 {at(99):.3f} ms  max {ordered[-1]:.3f} ms"


def _timed(fn, jobs) -> list[float]:
    out = []
    for job in jobs:
        t = time.perf_counter()
        fn(job)
        out.append((time.perf_counter() - t) * 1000)
    return out


# ------------------------------------------------------------------------------------------------
# reuse: 10,000,000 documents
# ------------------------------------------------------------------------------------------------
def owner_id(i: int) -> str:
    """Owner ``i``'s 12-digit personal ID: province (3), century/sex (1), birth year (2), serial (6).
    (century digit, serial) encode ``i``, so IDs are unique for i < 10,000,000."""
    return f"{1 + (i * 37) % 96:03d}{i // 1_000_000}{50 + i % 50:02d}{i % 1_000_000:06d}"


def _esc(value: str) -> str:
    """A text value for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _copy_text(value) -> str:
    import json

    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        return _esc(json.dumps(value))
    return _esc(str(value))


def doc_types() -> tuple[list[str], list[str], dict[str, str]]:
    """(types some component reuses, every "<procedure>:<code>" of the catalog, type → title)."""
    from motcua.catalog.models import Component, ResultType

    titles: dict[str, str] = {}
    reused: set[str] = set()
    for proc, code, name, reuse_from in Component.objects.values_list(
        "version__procedure__code", "code", "name", "reuse_from"
    ):
        titles.setdefault(f"{proc}:{code}", name)
        reused.update(reuse_from or [])
    for proc, code, name in ResultType.objects.values_list("version__procedure__code", "code", "name"):
        titles.setdefault(f"{proc}:{code}", name)
    for t in reused:
        titles.setdefault(t, f"Giấy tờ {t}")
    return sorted(reused), sorted(titles), titles


def shared_version() -> int:
    """One Blob + one Document + one DocumentVersion that every generated document points to."""
    from motcua.documents.models import Blob, Document, DocumentVersion, Kind, OcrStatus, Source

    sha = hashlib.sha256(b"motcua bench_identity shared version").hexdigest()
    blob, _ = Blob.objects.get_or_create(
        sha256=sha,
        defaults={"size": 184_320, "content_type": "application/pdf", "file": f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"},
    )
    version = DocumentVersion.objects.filter(blob=blob).first()
    if version is None:
        doc = Document.objects.create(
            kind=Kind.RESULT,
            name="ban-mau.pdf",
            title="Tài liệu mẫu dùng chung (bench)",
            source=Source.ISSUED_RESULT,
            ocr_status=OcrStatus.SKIPPED,
            search_text="tai lieu mau dung chung bench",
        )
        version = DocumentVersion.objects.create(document=doc, number=1, blob=blob, name="ban-mau.pdf")
        doc.current = version
        doc.save(update_fields=["current"])
    return version.pk


def received_dossiers(n: int, seed: int) -> list[int]:
    """``n`` received dossiers (created through ``dossiers.services.create_dossier`` at a counter
    when missing): the dossiers the generated dossier papers belong to."""
    from motcua.dossiers import services
    from motcua.dossiers.models import Dossier

    received = Dossier.objects.filter(received_at__isnull=False)
    have = received.count()
    if have < n:
        say(f"reuse: receiving {n - have:,} dossiers through create_dossier …")
        t0 = time.perf_counter()
        errors = 0
        for officer, body in receive_jobs(intake_pool(1, 8, seed), n - have, seed + have):
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
            except services.DossierError as exc:
                errors += 1
                if errors <= 3:
                    say(f"  create_dossier: {exc.message}")
        say(f"  done in {time.perf_counter() - t0:.0f} s ({errors} refused)")
    return list(received.order_by("pk").values_list("pk", flat=True)[:n])


def _row_template(varying: set[str]) -> tuple[str, str]:
    """(column list, a ``str.format`` line template): the varying columns as ``{name}``, every other
    column as its model default in COPY text (NOT NULL text without a default: "")."""
    from django.db import connection

    from motcua.documents.models import Document

    with connection.cursor() as c:
        in_table = {col.name for col in connection.introspection.get_table_description(c, Document._meta.db_table)}
    names, cells = [], []
    for f in Document._meta.concrete_fields:
        if f.primary_key or f.column not in in_table:  # a field whose migration is not there yet
            continue
        names.append(f.column)
        if f.column in varying:
            cells.append("{" + f.column + "}")
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.get_internal_type() in ("CharField", "TextField"):
            value = ""
        else:
            raise RuntimeError(f"documents_document.{f.column}: NOT NULL without a default; give it a value")
        cells.append(_copy_text(value).replace("{", "{{").replace("}", "}}"))
    missing = varying - set(names)
    if missing:
        raise RuntimeError(f"no such columns: {sorted(missing)}")
    return ", ".join(names), "\t".join(cells) + "\n"


def generate_documents(args) -> float | None:
    """Top ``documents_document`` up to ``args.docs`` rows (COPY, batches of ``args.batch``).
    Returns the seconds spent, None when nothing was generated."""
    from django.db import connection, transaction

    from motcua.common.text import fold
    from motcua.org.models import Agency

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM documents_document")
        have = c.fetchone()[0]
    if have >= args.docs:
        say(f"reuse: {have:,} documents already (≥ {args.docs:,}), no generation")
        return None
    need = args.docs - have
    say(f"reuse: generating {need:,} documents (have {have:,}) over {args.owners:,} owners …")
    rng = random.Random(args.seed * 1_000_003 + have)
    current = shared_version()
    reused, every, titles = doc_types()
    types = [(t, t.split(":", 1)[1], _esc(titles[t][:255]), fold(titles[t])[:120]) for t in every]
    by_name = {t[0]: t for t in types}
    reused_types = [by_name[t] for t in reused]
    dossier_ids = received_dossiers(args.dossiers, args.seed)
    if not dossier_ids:
        raise RuntimeError("no received dossier to attach dossier papers to")
    agencies = [(a, _esc(n), fold(n)) for a, n in Agency.objects.values_list("pk", "name")]
    names = [(_esc(p["name"]), fold(p["name"])) for p in people(4096, args.seed)]
    columns, template = _row_template(
        {
            "kind",
            "dossier_id",
            "agency_id",
            "component_code",
            "result_code",
            "doc_type",
            "name",
            "title",
            "owner_type",
            "owner_id_number",
            "owner_name",
            "doc_number",
            "issuer",
            "issue_date",
            "valid_until",
            "revoked_at",
            "revoked_reason",
            "source",
            "uploaded_at",
            "ocr_status",
            "ocr_attempts",
            "pages",
            "current_id",
            "signed",
            "search_text",
        }
    )
    today = dt.date.today().toordinal()
    fromordinal = dt.date.fromordinal
    t0 = time.perf_counter()
    if need >= BULK:
        drop_indexes()
    with connection.cursor() as c:
        c.execute("SET synchronous_commit = off")
        try:  # no per-row FK triggers for the bench rows (their references are valid by construction)
            c.execute("SET session_replication_role = replica")
        except Exception:  # not a superuser: keep the triggers
            say("  (FK triggers kept: session_replication_role needs a superuser)")
    done = 0
    while done < need:
        n = min(args.batch, need - done)
        lines = []
        for k in range(n):
            serial = have + done + k
            o = rng.randrange(args.owners)
            oid = owner_id(o)
            oname, oname_f = names[(o * 2654435761) % len(names)]
            t, code, title, title_f = rng.choice(reused_types) if rng.random() < REUSE_SHARE else rng.choice(types)
            x = rng.random()
            if code.startswith("KQ"):
                kind, source = ("result", "issued_result") if x < 0.7 else ("certified_copy", "certified_copy")
            else:
                kind, source = ("component", "paper_scan") if x < 0.8 else ("personal", "owner_upload")
            agency, agency_name, agency_f = rng.choice(agencies)
            authoritative = kind in ("result", "certified_copy")
            v = rng.random()
            if v < EXPIRED:
                until = today - 1 - rng.randrange(1500)
                issued = until - 180 - rng.randrange(1650)
            else:
                issued = today - rng.randrange(3650)
                until = issued + 365 * (1 + rng.randrange(10)) if v < EXPIRED + EXPIRING else None
                if until is not None and until < today:
                    until = today + 1 + rng.randrange(900)
            issue_date = fromordinal(issued).isoformat()
            revoked = rng.random() < REVOKED
            number = f"{serial % 100000}/{issue_date[:4]}/GT" if authoritative else ""
            lines.append(
                template.format(
                    kind=kind,
                    dossier_id=rng.choice(dossier_ids) if kind == "component" else "\\N",
                    agency_id=agency,
                    component_code="" if authoritative else code,
                    result_code=code if authoritative else "",
                    doc_type=t,
                    name=f"{code.lower()}-{serial}.pdf",
                    title=title,
                    owner_type="citizen",
                    owner_id_number=oid,
                    owner_name=oname,
                    doc_number=number,
                    issuer=agency_name if authoritative else "",
                    issue_date=issue_date,
                    valid_until=fromordinal(until).isoformat() if until is not None else "\\N",
                    revoked_at=f"{fromordinal(min(today, issued + 30 + rng.randrange(700)))} 09:00:00+07"
                    if revoked
                    else "\\N",
                    revoked_reason="Thu hồi theo quyết định của cơ quan có thẩm quyền" if revoked else "",
                    source=source,
                    uploaded_at=f"{issue_date} {8 + serial % 9:02d}:{serial % 60:02d}:00+07",
                    ocr_status="done" if kind in ("component", "personal") else "skipped",
                    ocr_attempts=1 if kind in ("component", "personal") else 0,
                    pages=1 + serial % 4,
                    current_id=current,
                    signed="t" if authoritative else "f",
                    search_text=f"{title_f} {number} {oid} {oname_f} {agency_f if authoritative else ''}",
                )
            )
        with transaction.atomic(), connection.cursor() as c:
            with c.cursor.copy(f"COPY documents_document ({columns}) FROM STDIN") as copy:
                for i in range(0, len(lines), 10_000):
                    copy.write("".join(lines[i : i + 10_000]))
        done += n
        elapsed = time.perf_counter() - t0
        say(f"  {have + done:,} documents ({elapsed:.0f} s, {done / elapsed:,.0f} rows/s)")
    with connection.cursor() as c:
        c.execute("RESET session_replication_role")
        c.execute("RESET synchronous_commit")
    say(f"  loaded {need:,} rows in {time.perf_counter() - t0:.0f} s")
    return time.perf_counter() - t0


DROPPED = "bench_identity_dropped_index"  # bookkeeping: indexes dropped for a load, rebuilt after it


def drop_indexes() -> None:
    """Drop the non-unique indexes of documents_document for a bulk load (sorted builds after it
    are much faster than 10,000,000 random inserts); their definitions are kept in a table first,
    so an interrupted run rebuilds them the next time (``restore_indexes``)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"CREATE TABLE IF NOT EXISTS {DROPPED} (name text PRIMARY KEY, definition text NOT NULL)")
        c.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = 'documents_document'::regclass AND NOT x.indisunique AND NOT x.indisprimary
            """
        )
        indexes = c.fetchall()
        for name, definition in indexes:
            c.execute(
                f"INSERT INTO {DROPPED} (name, definition) VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition]
            )
            c.execute(f'DROP INDEX "{name}"')
    say(f"  dropped {len(indexes)} indexes for the load: {', '.join(n for n, _ in indexes)}")


def restore_indexes() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT to_regclass(%s) IS NOT NULL", [DROPPED])
        if not c.fetchone()[0]:
            return
        c.execute(f"SELECT name, definition FROM {DROPPED} ORDER BY name")
        rows = c.fetchall()
        c.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in rows:
            t = time.perf_counter()
            c.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            c.execute(f"DELETE FROM {DROPPED} WHERE name = %s", [name])
            say(f"  index {name} built in {time.perf_counter() - t:.0f} s")
        c.execute("RESET maintenance_work_mem")
        c.execute(f"DROP TABLE {DROPPED}")


def finish_load() -> float:
    """The indexes back (dropped for the load, or by an interrupted run) and fresh statistics."""
    from django.db import connection

    t0 = time.perf_counter()
    restore_indexes()
    with connection.cursor() as c:
        c.execute(
            "SELECT last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE relname = 'documents_document'"
        )
        last, auto, modified = c.fetchone()
        if (last is None and auto is None) or modified > 100_000:
            say("  ANALYZE documents_document …")
            c.execute("ANALYZE documents_document")
    return time.perf_counter() - t0


def reuse_versions():
    """In-force procedure versions with at least one component mapped to reusable doc types."""
    from motcua.catalog.models import ProcedureVersion

    ids = [
        v.pk
        for v in ProcedureVersion.objects.in_force().prefetch_related("components").select_related("procedure")
        if any(c.reuse_from for c in v.components.all())
    ]
    # Fresh objects, no prefetch: each proposals() call reads the components as an intake does.
    return list(ProcedureVersion.objects.filter(pk__in=ids).select_related("procedure").order_by("procedure__code"))


def holders(version, day: dt.date, k: int, seed: int) -> list[str]:
    """Owners holding a valid paper of a type ``version`` reuses (from a 2 % sample of the table;
    the generated dossier papers all belong to received dossiers)."""
    from django.db import connection

    wanted = sorted({t for c in version.components.all() for t in c.reuse_from})
    with connection.cursor() as c:
        c.execute(
            """
            SELECT DISTINCT owner_id_number FROM documents_document TABLESAMPLE SYSTEM (2) REPEATABLE (%s)
            WHERE doc_type = ANY(%s) AND kind IN ('result', 'certified_copy', 'component') AND revoked_at IS NULL
              AND (valid_until IS NULL OR valid_until >= %s)
            LIMIT %s
            """,
            [seed, wanted, day, k],
        )
        return [r[0] for r in c.fetchall()]


def bench_reuse(args, generated: float | None, finished: float) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from motcua.wallet import services as wallet
    from motcua.wallet.models import ReuseSource
    from motcua.workcalendar.engine import VN_TZ

    rng = random.Random(args.seed)
    day = timezone.now().astimezone(VN_TZ).date()
    versions = reuse_versions()
    per_version = args.n // 2 // len(versions) + 1
    matching = []
    for v in versions:
        owners = holders(v, day, per_version * 2, args.seed)
        matching += [(v, o) for o in rng.sample(owners, min(per_version, len(owners)))]
    rng.shuffle(matching)
    matching = matching[: args.n // 2]
    others = [(rng.choice(versions), owner_id(rng.randrange(args.owners))) for _ in range(args.n - len(matching))]
    jobs = matching + others
    rng.shuffle(jobs)
    warm = [(rng.choice(versions), owner_id(rng.randrange(args.owners))) for _ in range(args.warmup)]

    def call(job):
        return wallet.proposals(job[0], [job[1]], population_answered=True)

    wanted_by = {v.pk: sorted({t for c in v.components.all() for t in c.reuse_from}) for v in versions}

    def query(job):
        return list(wallet.reusable_documents([job[1]], wanted_by[job[0].pk], day))

    _timed(call, warm)
    ms = _timed(call, jobs)
    hits = sum(any(p.source == ReuseSource.DATA_STORE for p in call(j).values()) for j in jobs)
    query_ms = _timed(query, jobs)
    counts = []
    for job in jobs[:200]:
        with CaptureQueriesContext(connection) as ctx:
            call(job)
        counts.append(len(ctx.captured_queries))

    with connection.cursor() as c:
        c.execute("SELECT count(*), count(DISTINCT owner_id_number) FROM documents_document")
        total, owners = c.fetchone()
        c.execute(
            "SELECT kind, count(*), count(*) FILTER (WHERE revoked_at IS NOT NULL), "
            "count(*) FILTER (WHERE valid_until < %s) FROM documents_document GROUP BY kind ORDER BY kind",
            [day],
        )
        kinds = c.fetchall()
        c.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())), "
            "pg_size_pretty(pg_total_relation_size('documents_document')), "
            "pg_size_pretty(pg_relation_size('documents_document')), "
            "pg_size_pretty(pg_relation_size('doc_owner_type'))"
        )
        db_size, table_total, heap, index = c.fetchone()
        v, o = matching[0]
        wanted = wanted_by[v.pk]
        sql, params = wallet.reusable_documents([o], wanted, day).query.sql_with_params()
        c.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [r[0] for r in c.fetchall()]

    report("=== reuse proposal (wallet.services.proposals, in-process, PostgreSQL) ===")
    report(f"  documents {total:,} in all, {owners:,} distinct owners; database {db_size}")
    report(f"  documents_document {table_total} (heap {heap}), index doc_owner_type {index}")
    for kind, n, revoked, expired in kinds:
        report(f"    {kind:<15} {n:>11,}  revoked {revoked:>9,}  expired {expired:>9,}")
    if generated is not None:
        report(f"  generated this run in {generated:.0f} s (COPY) + {finished:.0f} s (indexes, ANALYZE)")
    else:
        report("  data kept from an earlier run (no generation)")
    report(f"  versions with reuse_from: {', '.join(v.procedure.code for v in versions)}")
    report(
        f"  {len(jobs):,} calls after {len(warm)} warm-up: {len(matching):,} owners holding a matching "
        f"paper, {len(others):,} random owners; {hits:,} calls proposed a stored paper"
    )
    report(f"  proposals()        {latency_line(ms)}  (n={len(ms):,})  target p95 < 30 ms")
    report(f"  reuse query alone  {latency_line(query_ms)}  (n={len(query_ms):,})")
    report(f"  queries per call   {min(counts)}–{max(counts)} (over {len(counts)} calls)")
    report(f"  EXPLAIN ANALYZE (procedure {v.procedure.code}, owner {o}, types {wanted}):")
    REPORT.extend(f"    {line}" for line in plan)


# ------------------------------------------------------------------------------------------------
# population: the adapter with a warm cache
# ------------------------------------------------------------------------------------------------
def _redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def choose_cache() -> str:
    """Set CACHE_URL (before django.setup) to the shared Redis when Django can use it; say what was chosen."""
    if os.environ.get("CACHE_URL"):
        return f"CACHE_URL from the environment ({os.environ['CACHE_URL']})"
    has_package = importlib.util.find_spec("redis") is not None
    up = _redis_answers()
    if has_package and up:
        os.environ["CACHE_URL"] = f"rediscache://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        return f"Redis {REDIS_HOST}:{REDIS_PORT}/{REDIS_DB} (shared cache)"
    why = "the 'redis' Python package is not installed" if not has_package else "Redis does not answer"
    return f"FALLBACK to the settings' default cache: {why} (Redis server {'up' if up else 'down'})"


def _resp(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def _read_reply(f):
    line = f.readline()
    if line[:1] == b"$":
        size = int(line[1:])
        return None if size < 0 else f.read(size + 2)[:-2]
    if line[:1] == b"-":
        raise RuntimeError(line.decode().strip())
    return line.strip()


def redis_roundtrip(record: dict, n: int) -> list[float] | None:
    """GET + unpickle of one cached record over a raw RESP socket (what RedisCache would add to a
    warm lookup), when the server answers. Uses one key in db 5, deleted afterwards."""
    if not _redis_answers():
        return None
    key = b"motcua:bench_identity:probe"
    value = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")
        s.sendall(_resp(b"SELECT", str(REDIS_DB).encode()))
        _read_reply(f)
        s.sendall(_resp(b"SET", key, value, b"EX", b"60"))
        _read_reply(f)

        def get(_):
            s.sendall(_resp(b"GET", key))
            pickle.loads(_read_reply(f))

        _timed(get, range(100))
        ms = _timed(get, range(n))
        s.sendall(_resp(b"DEL", key))
        _read_reply(f)
    return ms


def bench_population(args, cache_note: str) -> None:
    from django.conf import settings
    from django.core.cache import cache

    from motcua.identity.adapters import population
    from simulators.common import serve_in_thread
    from simulators.population.app import create_app
    from simulators.population.people import person

    key = "motcua-bench-key"
    app = create_app(api_key=key)
    sim = app.extensions["simulator"]  # its request counters: one per lookup the cache did not answer
    url, stop = serve_in_thread(app)
    saved = (settings.POPULATION_DB_URL, settings.NATIONAL_API_KEY)
    settings.POPULATION_DB_URL, settings.NATIONAL_API_KEY = url, key
    rng = random.Random(args.seed)
    adapter = population()
    try:
        ids = [person(i)["id_number"] for i in range(args.people)]
        spare = person(args.people)["id_number"]
        for ident in [*ids, spare]:
            adapter.forget(ident)
        adapter.lookup(spare)  # opens the pooled HTTP connection
        adapter.forget(spare)
        found = []
        sim.reset_stats()
        cold = _timed(lambda ident: found.append(adapter.lookup(ident)), ids)
        cold_http = sim.stats()["total"]
        warm_jobs = [rng.choice(ids) for _ in range(args.warm_calls)]
        warm_found = []
        sim.reset_stats()
        warm = _timed(lambda ident: warm_found.append(adapter.lookup(ident)), warm_jobs)
        warm_http = sim.stats()["total"]
        raw = redis_roundtrip(found[0], args.warm_calls) if "redis" not in type(cache).__module__ else None
        for ident in ids:
            adapter.forget(ident)
    finally:
        stop()
        settings.POPULATION_DB_URL, settings.NATIONAL_API_KEY = saved
    backend = settings.CACHES["default"]
    report("=== population lookup (identity.adapters.population().lookup, in-process) ===")
    report(f"  simulator {url} (werkzeug, threaded, same process); cache: {cache_note}")
    limit = getattr(cache, "_max_entries", None)
    report(
        f"  cache backend {backend['BACKEND']} LOCATION={backend.get('LOCATION', '')!r}"
        + (f" MAX_ENTRIES={limit}" if "locmem" in backend["BACKEND"] else "")
    )
    report(
        f"  cold (cache empty)      {fine_line(cold)}  (n={len(cold):,}, {cold_http:,} HTTP calls, "
        f"{sum(r is None for r in found)} not found)"
    )
    report(
        f"  warm (same people)      {fine_line(warm)}  (n={len(warm):,}, {warm_http:,} HTTP calls = cache "
        f"misses, {sum(r is None for r in warm_found)} not found)  target p95 < 5 ms"
    )
    if warm_http and limit is not None and limit < len(ids):
        report(
            f"  NOTE: LocMem keeps at most {limit} entries per process and culls a third when full, so with "
            f"{len(ids):,} people most 'warm' lookups went to the simulator again. Cache-hit latency: "
            "CACHE_URL='locmemcache://motcua?max_entries=10000', or install redis for the shared cache."
        )
    if raw is not None:
        report(
            f"  raw Redis GET + unpickle of one record ({len(pickle.dumps(found[0]))} B, RESP socket, "
            f"not Django's RedisCache) {fine_line(raw)}  (n={len(raw):,})"
        )


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="?", choices=("reuse", "population", "all"), default="all")
    p.add_argument("--docs", type=int, default=10_000_000, help="documents in the store")
    p.add_argument("--owners", type=int, default=2_000_000, help="distinct owners (≤ 10,000,000)")
    p.add_argument("--dossiers", type=int, default=1000, help="received dossiers the dossier papers belong to")
    p.add_argument("--batch", type=int, default=100_000, help="rows per COPY transaction")
    p.add_argument("-n", type=int, default=2000, help="timed proposals() calls")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--people", type=int, default=1000, help="distinct people looked up")
    p.add_argument("--warm-calls", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--generate-only", action="store_true", help="reuse: load the data, time nothing")
    args = p.parse_args(argv)
    if not 0 < args.owners <= 10_000_000:
        p.error("--owners must be between 1 and 10,000,000")
    reuse = args.what in ("reuse", "all")
    if reuse:
        url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
        if not url.startswith("postgres"):
            print("Set DATABASE_URL to a PostgreSQL database (see the docstring).", file=sys.stderr)
            return 2
        ensure_database(url)
        say(f"database {urllib.parse.urlparse(url).path.lstrip('/')}")
    cache_note = choose_cache() if args.what in ("population", "all") else ""
    import django

    django.setup()
    if reuse:
        setup_province()
        generated = generate_documents(args)
        finished = finish_load()
        if not args.generate_only:
            bench_reuse(args, generated, finished)
    if args.what in ("population", "all"):
        if REPORT:
            report()
        bench_population(args, cache_note)
    if REPORT:
        print("\n".join(["", *REPORT]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
