#!/usr/bin/env python
"""A realistic province history for the report benchmarks (``bench_reports.py``), on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench_reports \\
        .venv/bin/python bench/gen_history.py [--dossiers 10000000] [--max-minutes 45] [options]

1. migrate, load the demo organization + catalog, then widen it in bulk to at least ``--agencies``
   agencies (new districts under the demo province, each with its people's committee, one-stop desk
   and communes — a commune people's committee, commune police and a desk each — plus a few
   provincial departments) and ``--procedures`` procedures (the demo versions cloned under new
   codes ``3.9xxxxx``: same field, levels, steps, fees, components; some department clones moved
   to the new departments; time limits varied);
2. generate ``--dossiers`` dossiers over the last ``--years`` years (working days up to
   yesterday), **in date order**, with COPY in batches of ``--batch``: each desk receives the
   procedures it really serves (``services._competent_agency``); volume grows over the years,
   with seasons and weekdays; communes ~60 %, districts ~22 %, province ~18 %; online share rising
   from ~20 % to ~60 % (procedures without an online service stay at the counter, kiosk or
   post); online payment of fees, procedures paid before processing (clock from the payment);
   supplements requested (the clock paused and the due date moved by the wait, or the dossier
   refused when the applicant never completes it); late results ~8 % falling to ~3 % over the
   years, varying by agency, half of them with an apology and a new date; refusals at the online
   check, results refused ("không giải quyết"), withdrawals, stops; returns; ratings of a sample of
   returned dossiers. received_at, due_at, original_due_at, paused_at/remaining_units,
   finished_at, returned_at, closed_at, state and outcome are consistent with each other and
   with "now" (what has not happened yet is not there: open dossiers, results not returned).
   Codes continue each receiving agency's daily sequence (``DailySequence`` is advanced in the
   same transaction);
3. in the same transaction as each batch, write the report rollups straight from the generated
   dossiers (no services replayed, no events stored): each dossier's events (receive / accept,
   refuse, request_supplement, apologize, withdraw, stop, issue_result, return_result, pay_fee,
   record_fee_payment) go through ``rollups.deltas`` and ``rollups._key`` — the one set of rules —
   and are added to ``DailyFlow`` and ``MonthlyFlow`` (upsert); ``OpenSnapshot`` gets every
   day-end of the snapshot window (at least the last ``--snapshot-days`` days, and back to the
   31 December before last year so a calendar-year report has its carried-over stock) from each
   dossier's open interval, on time until the day its due time (as it stood) passed, late after,
   on time while waiting for the applicant or for fees — what ``rollups.snapshot`` counts.

Resumable and topped up: the history is made of *layers* (one per run that adds dossiers), each
spread over the whole period; a layer's progress (the next day, and the carried open stock) is
committed with each batch, so an interrupted run goes on where it stopped, and a run with a larger
``--dossiers`` adds a layer (its flows and stocks are added to the rollups). ``--max-minutes`` stops
after the batch that exceeds it (the layer is then only generated up to a day: run again to finish
it). The two random-key indexes of the dossier table (applicant and owner id numbers, 4 indexes)
are dropped during a large load and rebuilt after it (definitions kept in a table, so an
interrupted run rebuilds them next time).

``--check N`` compares, for N sampled handling agencies, the rollups with what the dossier table says
(receipts by channel, results by ``classify``'s rule, returns, refusals, withdrawals and stops per day,
agency and procedure; stocks at some day-ends recomputed from the dossiers' dates).

Not generated: steps, events, components, documents (the reports do not read them). So do *not*
run ``manage.py rebuild_rollups`` on this database: it rebuilds from events and would empty the
rollups. The database is created when missing; drop it with
``dropdb -h 127.0.0.1 -U postgres motcua_bench_reports``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pickle
import random
import sys
import time
import urllib.parse
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

from bench.bench_dossiers import ensure_database, people, say, setup_province  # noqa: E402

LAYERS = "bench_history_layer"  # one row per layer: its plan and progress (resumable)
CLONES = "bench_history_clone"  # cloned procedure version → its demo source (and new department)
DROPPED = "bench_history_dropped_index"  # indexes dropped for a load, rebuilt after it
CLONE_PREFIX = "3.9"
BULK = 500_000  # a layer at least this large drops the random-key indexes of the dossier table
RANDOM_KEY_COLUMNS = ("applicant_id_number", "owner_id_number")

# Shares of the volume by level of the receiving desk (a typical province).
LEVEL_SHARE = {"commune": 0.60, "district": 0.22, "province": 0.18}
ONLINE_FROM, ONLINE_TO = 0.20, 0.60  # online share of new dossiers, first and last day
LATE_FROM, LATE_TO = 0.08, 0.03  # share of results issued late, first and last year
GROWTH = 0.07  # yearly growth of the volume
P_ONLINE_REFUSED = 0.02  # online dossiers refused at the desk's check (never received)
P_SUPPLEMENT = 0.07  # received dossiers asked for a supplement (time limit ≥ 1 day)
P_NEVER_SUPPLEMENTED = 0.12  # … never completed: refused
P_WITHDRAWN = 0.010
P_STOPPED = 0.003
P_REJECTED = 0.015  # results "không giải quyết" (a reasoned refusal, still a result)
P_APOLOGY = 0.5  # late dossiers whose agency apologized with a new date (limit ≥ 2 days)
P_RATED = 0.04  # returned dossiers rated by the applicant

NEW_DEPARTMENTS = [
    ("000.00.19.H99", "Sở Khoa học và Công nghệ", "SKHCN"),
    ("000.00.20.H99", "Ban Quản lý các khu công nghiệp tỉnh An Hòa", "BQLKCN"),
    ("000.00.26.H99", "Sở Dân tộc và Tôn giáo", "SDTTG"),
]
# New districts (unit code, name, seat of the agency codes, remote area)
NEW_DISTRICTS = [
    ("993", "Huyện Bắc Bình", "34", False),
    ("994", "Huyện Nam Giang", "35", True),
    ("995", "Thị xã Phú Lâm", "36", False),
    ("996", "Huyện Ea Hleo", "37", True),
    ("997", "Huyện Hòa Vang", "38", False),
    ("998", "Huyện Sông Cầu", "39", False),
    ("999", "Huyện Krông Pa", "40", True),
]
COMMUNES_PER_DISTRICT = 16
NAME_A = ["Tân", "Phú", "Hòa", "An", "Bình", "Long", "Vĩnh", "Thạnh", "Phước", "Đông", "Tây", "Hưng", "Mỹ", "Xuân"]
NAME_B = ["Lập", "Lộc", "Thành", "Hải", "Sơn", "Trung", "Phong", "Thịnh", "Tiến", "Lâm", "Mỹ", "Hiệp", "Nghĩa", "Đức"]
CLONE_VARIANTS = [
    "cấp lại",
    "cấp đổi",
    "điều chỉnh, bổ sung",
    "gia hạn",
    "đối với tổ chức",
    "có yếu tố nước ngoài",
    "liên thông",
    "trường hợp đặc biệt",
    "cấp mới",
    "đính chính",
    "xác nhận",
    "thủ tục nội địa",
]
LIMIT_CHOICES = [Decimal(x) for x in ("1", "2", "3", "5", "7", "10", "15", "20")]


# ------------------------------------------------------------------------------------------------
# The organization and the catalog, widened in bulk
# ------------------------------------------------------------------------------------------------
def _commune_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pairs = [(a, b) for a in NAME_A for b in NAME_B if a != b]
    rng.shuffle(pairs)
    return [f"{a} {b}" for a, b in pairs[:count]]


def expand_org(min_agencies: int) -> None:
    """New departments and districts (with communes, agencies and desks) until ``min_agencies``."""
    from django.db import transaction

    from motcua.org.models import AdministrativeLevel, AdministrativeUnit, Agency, AgencyKind, Desk, DeskKind

    have = Agency.objects.count()
    if have >= min_agencies:
        return
    t0 = time.perf_counter()
    with transaction.atomic():
        province = AdministrativeUnit.objects.get(code="99")
        ubnd = Agency.objects.get(code="000.00.00.H99")
        police = Agency.objects.get(code="000.00.21.H99")
        center = Desk.objects.get(code="TTPVHCC")
        levels = {lv.code: lv for lv in AdministrativeLevel.objects.all()}
        new_depts = [
            Agency(code=c, name=n, short_name=s, kind=AgencyKind.PROVINCIAL_DEPARTMENT, unit=province, parent=ubnd)
            for c, n, s in NEW_DEPARTMENTS
            if not Agency.objects.filter(code=c).exists()
        ]
        Agency.objects.bulk_create(new_depts)
        if new_depts:
            center.served_agencies.add(*new_depts)
        have = Agency.objects.count()
        names = _commune_names(len(NEW_DISTRICTS) * COMMUNES_PER_DISTRICT, 7)
        per_district = 1 + 2 * COMMUNES_PER_DISTRICT
        wanted = [d for d in NEW_DISTRICTS if not AdministrativeUnit.objects.filter(code=d[0]).exists()]
        wanted = wanted[: max(0, math.ceil((min_agencies - have) / per_district))]
        for d_code, d_name, seat, remote in wanted:
            k = NEW_DISTRICTS.index((d_code, d_name, seat, remote))
            district = AdministrativeUnit.objects.create(
                code=d_code, name=d_name, level=levels["district"], parent=province, remote_area=remote
            )
            kind = "thị xã" if d_name.startswith("Thị xã") else "huyện"
            dpc = Agency.objects.create(
                code=f"000.00.{seat}.H99",
                name=f"UBND {kind} {d_name.split(' ', 2)[-1]}",
                kind=AgencyKind.DISTRICT_PC,
                unit=district,
                address=f"{d_name}, tỉnh An Hòa",
            )
            desk = Desk.objects.create(
                code=f"MC-{d_code}",
                name=f"Bộ phận Một cửa {d_name}",
                kind=DeskKind.DISTRICT_DESK,
                agency=dpc,
                address=f"Trụ sở UBND, {d_name}, tỉnh An Hòa",
                opening_hours="Thứ Hai – Thứ Sáu: 07:00–11:30, 13:30–17:00",
                postal_receives=True,
                postal_returns=True,
            )
            desk.served_agencies.add(dpc)
            units = []
            for i in range(1, COMMUNES_PER_DISTRICT + 1):
                prefix = ("Phường" if kind == "thị xã" else "Thị trấn") if i == 1 else "Xã"
                units.append(
                    AdministrativeUnit(
                        code=f"{d_code}{i:02d}",
                        name=f"{prefix} {names[k * COMMUNES_PER_DISTRICT + i - 1]}",
                        level=levels["commune"],
                        parent=district,
                        remote_area=remote,
                    )
                )
            AdministrativeUnit.objects.bulk_create(units)
            units = list(AdministrativeUnit.objects.filter(parent=district).order_by("code"))
            agencies = []
            for i, u in enumerate(units, start=1):
                low = f"{u.name[0].lower()}{u.name[1:]}"
                agencies.append(Agency(code=f"000.{i:02d}.{seat}.H99", name=f"UBND {low}", kind="commune_pc", unit=u))
                agencies.append(
                    Agency(code=f"P{i:02d}.{seat}.21.H99", name=f"Công an {low}", kind="police", unit=u, parent=police)
                )
            Agency.objects.bulk_create(agencies)
            by_code = {a.code: a for a in Agency.objects.filter(unit__parent=district)}
            desks = [
                Desk(
                    code=f"MC-{u.code}",
                    name=f"Bộ phận Một cửa {u.name}",
                    kind=DeskKind.COMMUNE_DESK,
                    agency=by_code[f"000.{i:02d}.{seat}.H99"],
                    address=f"Trụ sở UBND {u.name}, {d_name}, tỉnh An Hòa",
                    opening_hours="Thứ Hai – Thứ Sáu: 07:00–11:30, 13:30–17:00",
                    postal_receives=True,
                    postal_returns=True,
                )
                for i, u in enumerate(units, start=1)
            ]
            Desk.objects.bulk_create(desks)
            through = Desk.served_agencies.through
            links = []
            for desk_obj in Desk.objects.filter(code__startswith=f"MC-{d_code}").exclude(pk=desk.pk):
                n = int(desk_obj.code[-2:])
                links.append(through(desk_id=desk_obj.pk, agency_id=by_code[f"000.{n:02d}.{seat}.H99"].pk))
                links.append(through(desk_id=desk_obj.pk, agency_id=by_code[f"P{n:02d}.{seat}.21.H99"].pk))
            through.objects.bulk_create(links)
    say(f"org: {Agency.objects.count()} agencies, {Desk.objects.count()} desks ({time.perf_counter() - t0:.1f} s)")


def _ensure_tables() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {CLONES} (version_id integer PRIMARY KEY, source_id integer NOT NULL, "
            "agency_id integer)"
        )
        c.execute(
            f"""CREATE TABLE IF NOT EXISTS {LAYERS} (
                layer integer PRIMARY KEY, target bigint NOT NULL, done bigint NOT NULL DEFAULT 0,
                seed integer NOT NULL, first_day date NOT NULL, last_day date NOT NULL,
                snapshot_from date NOT NULL, next_day date NOT NULL, finished boolean NOT NULL DEFAULT false,
                seconds double precision NOT NULL DEFAULT 0, state bytea)"""
        )


def expand_catalog(min_procedures: int, seed: int) -> None:
    """Clone the demo procedure versions under new codes until ``min_procedures`` procedures."""
    from django.db import connection, transaction

    from motcua.catalog.models import (
        Component,
        Fee,
        ProcedureVersion,
        ProcessStep,
        ResultType,
    )
    from motcua.catalog.models import Procedure as Proc
    from motcua.common.text import fold
    from motcua.org.models import Agency

    have = Proc.objects.count()
    if have >= min_procedures:
        return
    t0 = time.perf_counter()
    rng = random.Random(seed)
    sources = list(
        ProcedureVersion.objects.in_force()
        .exclude(procedure__code__startswith=CLONE_PREFIX)
        .select_related("procedure", "field")
        .prefetch_related("levels", "agencies", "steps", "fees", "components", "results")
        .order_by("procedure__code")
    )
    new_depts = list(Agency.objects.filter(code__in=[c for c, _, _ in NEW_DEPARTMENTS]))
    taken = set(Proc.objects.filter(code__startswith=CLONE_PREFIX).values_list("code", flat=True))
    n = 0
    start = dt.date.today().replace(month=1, day=1) - dt.timedelta(days=366 * 8)
    with transaction.atomic():
        plans = []
        k = 0
        while have + len(plans) < min_procedures:
            src = sources[k % len(sources)]
            variant = CLONE_VARIANTS[(k // len(sources)) % len(CLONE_VARIANTS)]
            k += 1
            n += 1
            code = f"{CLONE_PREFIX}{n:05d}"
            if code in taken:
                continue
            override = None
            listed = list(src.agencies.all())
            if new_depts and len(listed) == 1 and listed[0].kind == "provincial_department" and rng.random() < 0.35:
                override = rng.choice(new_depts)
            plans.append((code, src, variant, override))
        procs = Proc.objects.bulk_create([Proc(code=code) for code, _, _, _ in plans])
        versions = []
        for proc, (_code, src, variant, _override) in zip(procs, plans, strict=True):
            limit = src.time_limit_days
            if limit and rng.random() < 0.4:
                limit = rng.choice(LIMIT_CHOICES)
            name = f"{src.name} ({variant})"
            versions.append(
                ProcedureVersion(
                    procedure=proc,
                    number=1,
                    effective_from=start,
                    name=name,
                    field_id=src.field_id,
                    agency_kind=src.agency_kind,
                    time_limit_days=limit,
                    online_level=src.online_level,
                    location_independent=src.location_independent,
                    essential=False,
                    pay_before_processing=src.pay_before_processing,
                    applicant_types=src.applicant_types,
                    description=src.description,
                    legal_basis=src.legal_basis,
                    form_schema=src.form_schema,
                    search_text=" ".join([fold(name), proc.code, fold(src.field.name)]),
                    name_folded=fold(name),
                    content_hash="",
                )
            )
        versions = ProcedureVersion.objects.bulk_create(versions)
        levels_t, agencies_t = ProcedureVersion.levels.through, ProcedureVersion.agencies.through
        lv, ag, steps, fees, comps, results, clones = [], [], [], [], [], [], []
        for v, (_code, src, _variant, override) in zip(versions, plans, strict=True):
            lv += [levels_t(procedureversion_id=v.pk, administrativelevel_id=x.pk) for x in src.levels.all()]
            listed = [override] if override else list(src.agencies.all())
            ag += [agencies_t(procedureversion_id=v.pk, agency_id=a.pk) for a in listed]
            scale = Decimal(v.time_limit_days) / src.time_limit_days if src.time_limit_days else Decimal(1)
            for s in src.steps.all():
                budget = (s.budget_days * scale * 2).quantize(Decimal(1)) / 2
                steps.append(
                    ProcessStep(
                        version=v,
                        order=s.order,
                        name=s.name,
                        role=s.role,
                        agency_kind=s.agency_kind,
                        budget_days=budget,
                        parallel=s.parallel,
                    )
                )
            fees += [
                Fee(version=v, kind=f.kind, name=f.name, amount=f.amount, exemptions=f.exemptions)
                for f in src.fees.all()
            ]
            comps += [
                Component(
                    version=v,
                    order=c.order,
                    code=c.code,
                    name=c.name,
                    required=c.required,
                    form=c.form,
                    copies=c.copies,
                    reusable=c.reusable,
                    reuse_from=c.reuse_from,
                    data_source=c.data_source,
                    template=c.template,
                )
                for c in src.components.all()
            ]
            results += [
                ResultType(version=v, code=r.code, name=r.name, validity_days=r.validity_days)
                for r in src.results.all()
            ]
            clones.append((v.pk, src.pk, override.pk if override else None))
        levels_t.objects.bulk_create(lv)
        agencies_t.objects.bulk_create(ag)
        ProcessStep.objects.bulk_create(steps)
        Fee.objects.bulk_create(fees)
        Component.objects.bulk_create(comps)
        ResultType.objects.bulk_create(results)
        with connection.cursor() as c:
            c.executemany(f"INSERT INTO {CLONES} (version_id, source_id, agency_id) VALUES (%s, %s, %s)", clones)
    say(f"catalog: {Proc.objects.count()} procedures ({len(plans)} cloned, {time.perf_counter() - t0:.1f} s)")


# ------------------------------------------------------------------------------------------------
# Who receives what: (procedure version, desk, receiving agency, handling agency) with weights
# ------------------------------------------------------------------------------------------------
@dataclass
class Combo:
    version_id: int
    procedure_id: int
    field_id: int
    desk_id: int
    receiving_agency_id: int
    receiving_code: str
    agency_id: int
    level: str  # of the receiving desk: commune | district | province
    limit: int  # working units; 0 = within the day
    online: bool
    fee: int
    pay_before: bool
    weight: float = 0.0
    version: object = None  # a stub with procedure_id / field_id for rollups._key


def build_combos(seed: int) -> list[Combo]:
    from django.db import connection

    from motcua.catalog.models import ProcedureVersion
    from motcua.dossiers import services
    from motcua.org.models import Desk, DeskKind
    from motcua.workcalendar.engine import UNITS_PER_DAY

    t0 = time.perf_counter()
    versions = {
        v.pk: v
        for v in ProcedureVersion.objects.in_force()
        .select_related("procedure")
        .prefetch_related("agencies", "levels", "fees")
    }
    with connection.cursor() as c:
        c.execute(f"SELECT version_id, source_id, agency_id FROM {CLONES}")
        clones = {v: (s, a) for v, s, a in c.fetchall()}
    sources = [v for pk, v in versions.items() if pk not in clones]
    level_of = {DeskKind.COMMUNE_DESK: "commune", DeskKind.DISTRICT_DESK: "district"}
    by_source: dict[int, list[Combo]] = defaultdict(list)
    desks = list(Desk.objects.filter(active=True).select_related("agency").prefetch_related("served_agencies"))
    for desk in desks:
        served = {a.pk for a in desk.served_agencies.all()}
        for v in sources:
            try:
                agency = services._competent_agency(v, desk, served, None)
            except services.DossierError:
                continue
            by_source[v.pk].append(
                Combo(
                    version_id=v.pk,
                    procedure_id=v.procedure_id,
                    field_id=v.field_id,
                    desk_id=desk.pk,
                    receiving_agency_id=desk.agency_id,
                    receiving_code=desk.agency.code,
                    agency_id=agency.pk,
                    level=level_of.get(desk.kind, "province"),
                    limit=0,
                    online=False,
                    fee=0,
                    pay_before=False,
                )
            )
    source_agency = {pk: [a.pk for a in versions[pk].agencies.all()] for pk in by_source}
    combos = []
    for pk, v in versions.items():
        src, override = clones.get(pk, (pk, None))
        for base in by_source.get(src, []):
            agency_id = base.agency_id
            if override and agency_id in source_agency[src]:
                agency_id = override
            combos.append(
                Combo(
                    **{
                        **base.__dict__,
                        "version_id": pk,
                        "procedure_id": v.procedure_id,
                        "field_id": v.field_id,
                        "agency_id": agency_id,
                        "limit": int(v.time_limit_days * 2) * UNITS_PER_DAY // 2,
                        "online": v.online_level != "none",
                        "fee": sum(f.amount for f in v.fees.all()),
                        "pay_before": v.pay_before_processing,
                    }
                )
            )
    # Weights: the procedure's popularity (heavy-tailed; civil status, certification and residence
    # dominate), the desk's size (log-normal), then the levels scaled to LEVEL_SHARE.
    rng = random.Random(seed)
    popularity = {}
    for pk, v in versions.items():
        boost = 4.0 if v.field_id and v.procedure.code in ("2.000815", "1.001193", "1.004194", "1.004222") else 1.0
        popularity[pk] = min(rng.paretovariate(1.3), 40.0) * boost * (0.5 if pk in clones else 1.0)
    size = {d.pk: rng.lognormvariate(0, 0.5) for d in desks}
    for c in combos:
        c.weight = popularity[c.version_id] * size[c.desk_id]
    totals = defaultdict(float)
    for c in combos:
        totals[c.level] += c.weight
    for c in combos:
        c.weight *= LEVEL_SHARE[c.level] / totals[c.level]
    stubs = {}
    for c in combos:
        c.version = stubs.setdefault(c.version_id, SimpleNamespace(procedure_id=c.procedure_id, field_id=c.field_id))
    say(
        f"combos: {len(combos):,} (procedure version × desk → handling agency) over {len(desks)} desks, "
        f"{len({c.agency_id for c in combos})} handling agencies ({time.perf_counter() - t0:.1f} s)"
    )
    return combos


# ------------------------------------------------------------------------------------------------
# Layers: a plan of daily volumes and its progress
# ------------------------------------------------------------------------------------------------
def day_counts(target: int, first: dt.date, last: dt.date, cal, seed: int) -> dict[dt.date, int]:
    """``target`` dossiers over the working days of [first, last]: growth, seasons, weekdays."""
    rng = random.Random(seed)
    season = {1: 0.95, 2: 0.75, 3: 1.05, 4: 1.0, 5: 1.0, 6: 1.05, 7: 1.1, 8: 1.05, 9: 1.0, 10: 1.05, 11: 1.05, 12: 1.1}
    weekday = [1.15, 1.0, 1.0, 0.95, 0.9, 0.5, 0.3]
    days, weights = [], []
    d = first
    while d <= last:
        if cal.is_working_day(d):
            years = (d - first).days / 365.25
            days.append(d)
            weights.append((1 + GROWTH) ** years * season[d.month] * weekday[d.weekday()] * rng.uniform(0.85, 1.15))
        d += dt.timedelta(days=1)
    total = sum(weights)
    exact = [target * w / total for w in weights]
    counts = [int(x) for x in exact]
    rest = target - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)[:rest]:
        counts[i] += 1
    return dict(zip(days, counts, strict=True))


@dataclass
class Layer:
    layer: int
    target: int
    done: int
    seed: int
    first_day: dt.date
    last_day: dt.date
    snapshot_from: dt.date
    next_day: dt.date
    finished: bool
    seconds: float
    state: bytes | None


def layers() -> list[Layer]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            f"SELECT layer, target, done, seed, first_day, last_day, snapshot_from, next_day, finished, seconds, "
            f"state FROM {LAYERS} ORDER BY layer"
        )
        return [Layer(*r[:10], bytes(r[10]) if r[10] is not None else None) for r in c.fetchall()]


def new_layer(target: int, args) -> Layer:
    from django.db import connection

    last = dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=round(365.25 * args.years)) + dt.timedelta(days=1)
    # Every day-end of the last --snapshot-days days, and back to 31 December before last year.
    snap = min(last - dt.timedelta(days=args.snapshot_days - 1), dt.date(last.year - 1, 1, 1) - dt.timedelta(days=1))
    snap = max(snap, first)
    existing = layers()
    number = (existing[-1].layer + 1) if existing else 1
    seed = args.seed + 1000 * number
    with connection.cursor() as c:
        c.execute(
            f"INSERT INTO {LAYERS} (layer, target, seed, first_day, last_day, snapshot_from, next_day) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [number, target, seed, first, last, snap, first],
        )
    return layers()[-1]


# ------------------------------------------------------------------------------------------------
# One dossier: its row, its events (→ flows), its open interval (→ stocks), its rating
# ------------------------------------------------------------------------------------------------
class Ev:
    __slots__ = ("action", "at", "actor_role")

    def __init__(self, action: str, at: dt.datetime, actor_role: str):
        self.action, self.at, self.actor_role = action, at, actor_role


class Dos:
    """What ``rollups.deltas`` / ``rollups._key`` read of a dossier."""

    __slots__ = ("channel", "due_at", "apology_count", "agency_id", "version")

    def __init__(self, channel, due_at, apology_count, agency_id, version):
        self.channel, self.due_at, self.apology_count = channel, due_at, apology_count
        self.agency_id, self.version = agency_id, version


class Generator:
    """Turns (combo, day) into the dossier's COPY line, flow counts and stock contributions."""

    def __init__(self, cal, now: dt.datetime, first: dt.date, last: dt.date, combos, seed: int):
        from motcua.dossiers.models import Dossier
        from motcua.engagement.states import RATING_CRITERIA_KEYS
        from motcua.reports import models as report_models
        from motcua.reports import rollups
        from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ

        self.criteria = RATING_CRITERIA_KEYS
        self.tz = VN_TZ
        self.cal = cal
        self.U = UNITS_PER_DAY
        self.now = now
        self.now_off = cal.to_offset(now)
        self.first, self.last = first, last
        self.span_days = max((last - first).days, 1)
        self.deltas, self.key_of = rollups.deltas, rollups._key
        self.counters = {c: i for i, c in enumerate(report_models.FLOW_COUNTERS)}
        self.persons = people(50_000, seed)
        rng = random.Random(seed)
        agencies = sorted({c.agency_id for c in combos})
        self.late_factor = {a: min(rng.lognormvariate(0, 0.6), 4.0) for a in agencies}
        mean = sum(self.late_factor.values()) / len(self.late_factor)
        self.late_factor = {a: f / mean for a, f in self.late_factor.items()}
        self.online_capable = sum(c.weight for c in combos if c.online) / sum(c.weight for c in combos)
        fields = [f for f in Dossier._meta.concrete_fields]
        self.columns = [f.column for f in fields]
        self.idx = {f.attname: i for i, f in enumerate(fields)}
        base = []
        for f in fields:
            value = f.get_default() if f.has_default() else None
            if value is None and not f.null and f.get_internal_type() in ("CharField", "TextField"):
                value = ""
            if f.get_internal_type() == "JSONField" and value is not None:
                value = json.dumps(value)
            base.append("\\N" if value is None else str(value))
        self.base = base
        self.flows: dict[tuple, list[int]] = {}
        self.points: list[tuple] = []  # (day ordinal, key, d_on, d_late)
        self.ratings: list[str] = []
        self.seq: dict[tuple, int] = {}

    # -- helpers --
    def at(self, off: int) -> dt.datetime:
        return self.cal.from_offset(off)

    def flow(self, action: str, off: int, role: str, dos: Dos) -> None:
        if off > self.now_off:
            return
        ev = Ev(action, self.cal.from_offset(off), role)
        moved = self.deltas(ev, dos)
        if moved:
            key = self.key_of(ev, dos)
            row = self.flows.get(key)
            if row is None:
                row = self.flows[key] = [0] * len(self.counters)
            for c, n in moved.items():
                row[self.counters[c]] += n

    def dossier(self, rng: random.Random, c: Combo, day: dt.date, day_off: int, dossier_id: int) -> str:
        U, now_off, cal = self.U, self.now_off, self.cal
        years = (day - self.first).days / self.span_days
        online_share = ONLINE_FROM + (ONLINE_TO - ONLINE_FROM) * years
        x = rng.random()
        if c.online and x < min(0.95, online_share / self.online_capable):
            channel = "online"
        else:
            channel = "post" if x > 0.975 else ("kiosk" if x > 0.96 else "counter")
        key = (c.receiving_agency_id, day)
        number = self.seq.get(key, 0) + 1
        self.seq[key] = number
        p = self.persons[rng.randrange(len(self.persons))]
        row = self.base[:]
        ix = self.idx
        row[ix["id"]] = str(dossier_id)
        row[ix["code"]] = f"{c.receiving_code}-{day:%y%m%d}-{number:04d}"
        row[ix["version_id"]] = str(c.version_id)
        row[ix["applicant_name"]] = row[ix["owner_name"]] = p["name"]
        row[ix["applicant_id_number"]] = row[ix["owner_id_number"]] = p["id_number"]
        row[ix["applicant_phone"]] = p["phone"]
        row[ix["applicant_address"]] = p["address"]
        row[ix["channel"]] = channel
        row[ix["desk_id"]] = str(c.desk_id)
        row[ix["receiving_agency_id"]] = str(c.receiving_agency_id)
        row[ix["agency_id"]] = str(c.agency_id)
        row[ix["identity_status"]] = "verified"
        online = channel == "online"
        if online:
            hour = rng.randrange(6, 23)
            submitted = dt.datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=self.tz
            )
            submit_off = cal.to_offset(submitted)
        else:
            submit_off = day_off + rng.randrange(60, U - 600)
            submitted = self.at(submit_off)
        row[ix["submitted_at"]] = row[ix["identity_checked_at"]] = submitted.isoformat()
        return_channel = "online" if online and rng.random() < 0.6 else ("post" if rng.random() < 0.05 else "counter")
        row[ix["return_channel"]] = return_channel
        if return_channel == "post":
            row[ix["return_address"]] = p["address"]
        fee = c.fee
        row[ix["fee_amount"]] = str(fee)
        row[ix["fee_status"]] = "paid" if fee else "none"
        dos = Dos(channel, None, 0, c.agency_id, c.version)
        lock = 2

        # Online: the desk checks within 8 working hours; a few are refused there.
        if online:
            if fee and not c.pay_before:
                self.flow("record_fee_payment", min(submit_off + rng.randrange(60, 3600), now_off), "system", dos)
            recv_off = submit_off + rng.randrange(900, U)
            if rng.random() < P_ONLINE_REFUSED:
                close_off = recv_off
                if close_off > now_off:
                    row[ix["state"]] = "submitted"
                else:
                    row[ix["state"]] = "refused"
                    row[ix["closed_at"]] = self.at(close_off).isoformat()
                    row[ix["outcome_reason"]] = "Hồ sơ không đúng thủ tục đã chọn"
                    self.flow("refuse", close_off, "desk_officer", dos)
                row[ix["lock_version"]] = "2"
                return "\t".join(row)
            if recv_off > now_off:  # not checked yet
                row[ix["state"]] = "submitted"
                row[ix["lock_version"]] = "1"
                return "\t".join(row)
        else:
            recv_off = submit_off
        received = self.at(recv_off)
        row[ix["received_at"]] = received.isoformat()
        self.flow("accept" if online else "receive", recv_off, "desk_officer", dos)

        # Fees before processing: the clock starts at the payment.
        start_off, pay_off = recv_off, None
        if c.pay_before and fee and (online or rng.random() < 0.3):
            pay_off = recv_off + rng.randrange(300, U * 3 // 2)
            self.flow("pay_fee", pay_off, "system" if online or rng.random() < 0.3 else "desk_officer", dos)
            start_off = pay_off
        L = c.limit
        due0 = start_off + L if L else (start_off // U + 1) * U
        late = rng.random() < (LATE_FROM + (LATE_TO - LATE_FROM) * years) * self.late_factor[c.agency_id]
        if L == 0:
            used = (
                int((due0 - start_off) * rng.uniform(0.1, 0.98))
                if not late
                else due0 - start_off + rng.randrange(600, 2 * U)
            )
        else:
            used = int(L * (0.12 + 0.86 * rng.random())) if not late else L + rng.randrange(600, max(L // 2, U))
        # Supplement requested (clock paused, the due time moved by the wait) or never given.
        t1 = t2 = None
        never = False
        wait = 0
        if L >= U and rng.random() < P_SUPPLEMENT:
            t1 = start_off + int(min(used, L) * rng.uniform(0.05, 0.9))
            wait = rng.randrange(U // 2, 8 * U)
            never = rng.random() < P_NEVER_SUPPLEMENTED
            t2 = t1 + wait
        finish = start_off + used + wait
        due1 = due0 + wait
        # Apology with a new date (≥ 1 working day before the due time), for some late dossiers.
        ta = new_due = None
        if late and not never and L >= 2 * U and rng.random() < P_APOLOGY:
            ta = due1 - U - rng.randrange(0, max(L // 4, 1))
            if ta > max(start_off + 600, t2 or 0):
                new_due = (max(due1 + U // 2, finish + rng.randrange(-U, 2 * U)) // U + 1) * U
            else:
                ta = None
        # Withdrawn / stopped before the result (never after an apology).
        end_kind, end_off = None, None
        y = rng.random()
        if never:
            end_kind, end_off = "refuse", t2 + rng.randrange(2 * U, 10 * U)
        elif y < P_WITHDRAWN + P_STOPPED:
            end_kind = "withdraw" if y < P_WITHDRAWN else "stop"
            end_off = start_off + int((finish - start_off) * rng.uniform(0.05, 0.95))
            if t1 is not None and end_off <= t1:  # ended before the supplement request
                finish, due1, t1, t2, wait = finish - wait, due0, None, None, 0
            if ta is not None and ta >= end_off:
                ta = new_due = None

        # What happened up to now.
        if pay_off is not None and pay_off > now_off:  # received, waiting for the fees
            row[ix["state"]] = "awaiting_fee"
            row[ix["resume_state"]] = "received"
            row[ix["paused_at"]] = received.isoformat()
            row[ix["remaining_units"]] = str(L)
            row[ix["fee_status"]] = "unpaid"
            due_now = self.at(recv_off + L if L else (recv_off // U + 1) * U)
            row[ix["due_at"]] = row[ix["original_due_at"]] = due_now.isoformat()
            row[ix["lock_version"]] = "3"
            self._open(c, received, None, due_now, never_late=True)
            return "\t".join(row)
        # The clock resumed after the supplement (before now and before the dossier ended), or it is
        # still paused (now, or when the dossier ended): then the dossier is never late.
        resumed = t1 is not None and not never and t2 <= now_off and (end_off is None or t2 <= end_off)
        paused = t1 is not None and t1 <= now_off and not resumed
        if t1 is not None and t1 <= now_off:
            self.flow("request_supplement", t1, "specialist", dos)
            lock += 2
        due_off = due1 if resumed else due0
        if ta is not None and ta <= now_off:
            dos.apology_count = 1
            due_off = new_due
            self.flow("apologize", ta, "leader", dos)
            row[ix["apology_count"]] = "1"
            lock += 1
        due_now = self.at(due_off)
        dos.due_at = due_now
        row[ix["due_at"]] = due_now.isoformat()
        row[ix["original_due_at"]] = self.at(due0).isoformat()
        if resumed:
            row[ix["paused_units"]] = str(wait)
        if paused:
            row[ix["paused_at"]] = self.at(t1).isoformat()
            row[ix["remaining_units"]] = str(due0 - t1)
            row[ix["resume_state"]] = "in_processing"
        stop_dt = None
        if end_kind and end_off <= now_off:
            closed = self.at(end_off)
            row[ix["state"]] = {"refuse": "refused", "withdraw": "withdrawn", "stop": "stopped"}[end_kind]
            row[ix["closed_at"]] = closed.isoformat()
            if end_kind == "refuse":
                row[ix["outcome_reason"]] = "Không bổ sung hồ sơ theo yêu cầu"
            elif end_kind == "stop":
                row[ix["outcome_reason"]] = "Có tranh chấp, khiếu nại"
            self.flow(
                end_kind, end_off, {"refuse": "desk_officer", "withdraw": "applicant"}.get(end_kind, "leader"), dos
            )
            stop_dt = closed
            lock += 2
        elif paused:
            row[ix["state"]] = "supplement_requested"
        elif finish <= now_off:
            finished = self.at(finish)
            rejected = rng.random() < P_REJECTED
            row[ix["finished_at"]] = finished.isoformat()
            row[ix["outcome"]] = "rejected" if rejected else "approved"
            if rejected:
                row[ix["outcome_reason"]] = "Không đủ điều kiện theo quy định"
            self.flow("issue_result", finish, "leader", dos)
            stop_dt = finished
            ret = finish + (rng.randrange(60, U // 4) if return_channel == "online" else rng.randrange(600, 4 * U))
            lock += 4
            if ret <= now_off:
                returned = self.at(ret)
                row[ix["state"]] = "returned"
                row[ix["returned_at"]] = row[ix["closed_at"]] = returned.isoformat()
                self.flow("return_result", ret, "desk_officer", dos)
                lock += 1
                if rng.random() < P_RATED:
                    self._rating(rng, dossier_id, p, returned, due_now < finished or dos.apology_count > 0)
            else:
                row[ix["state"]] = "result_issued" if ret - finish < U // 8 else "awaiting_return"
        else:
            z = rng.random()
            row[ix["state"]] = (
                "received"
                if now_off - recv_off < U // 4 and z < 0.5
                else ("consulting" if z > 0.92 else "in_processing")
            )
        row[ix["lock_version"]] = str(lock)
        self._open(c, received, stop_dt, due_now, never_late=paused)
        return "\t".join(row)

    def _open(self, c: Combo, received, stop_dt, due_now, never_late: bool) -> None:
        """The day-ends at which the dossier is open: on time up to the day its due time passes."""
        first = received.toordinal()  # received is Vietnam time (from_offset)
        last = (stop_dt - dt.timedelta(microseconds=1)).toordinal() - 1 if stop_dt else None
        if last is not None and last < first:
            return
        key = (c.agency_id, c.procedure_id, c.field_id)
        late_from = None if never_late else max(due_now.toordinal(), first)
        points = self.points
        if late_from is None or (last is not None and late_from > last):
            points.append((first, key, 1, 0))
            if last is not None:
                points.append((last + 1, key, -1, 0))
            return
        if late_from > first:
            points.append((first, key, 1, 0))
            points.append((late_from, key, -1, 1))
        else:
            points.append((first, key, 0, 1))
        if last is not None:
            points.append((last + 1, key, 0, -1))

    def _rating(self, rng, dossier_id: int, p: dict, returned: dt.datetime, late: bool) -> None:
        weights = [0.35, 0.35, 0.15, 0.1, 0.05] if late else [0.62, 0.31, 0.05, 0.01, 0.01]
        overall = rng.choices([5, 4, 3, 2, 1], weights)[0]
        scores = {k: max(1, min(5, overall + rng.choice((-1, 0, 0, 0, 1)))) for k in rng.sample(self.criteria, 3)}
        at = min(returned + dt.timedelta(minutes=rng.randrange(5, 3 * 24 * 60)), self.now)
        self.ratings.append(f"{dossier_id}\t{p['id_number']}\t{json.dumps(scores)}\t{overall}\t\t{at.isoformat()}")


# ------------------------------------------------------------------------------------------------
# Batches: COPY the dossiers, add the flows and the stocks (one transaction with the progress)
# ------------------------------------------------------------------------------------------------
class Stocks:
    """Open dossiers per (agency, procedure, field) at each day-end, from the open intervals'
    start/end points (a running sum), carried from batch to batch (and pickled with the layer)."""

    def __init__(self, state: bytes | None):
        self.running: dict[tuple, list[int]] = {}
        self.pending: dict[int, dict[tuple, list[int]]] = defaultdict(dict)
        if state:
            running, pending = pickle.loads(state)
            self.running = running
            self.pending = defaultdict(dict, pending)

    def add(self, points: list[tuple], horizon: int) -> None:
        pending = self.pending
        for day, key, d_on, d_late in points:
            if day > horizon:
                continue
            bucket = pending[day]
            v = bucket.get(key)
            if v is None:
                bucket[key] = [d_on, d_late]
            else:
                v[0] += d_on
                v[1] += d_late

    def close_day(self, day: int, emit: bool) -> list[tuple]:
        running = self.running
        for key, (d_on, d_late) in self.pending.pop(day, {}).items():
            v = running.get(key)
            if v is None:
                if d_on or d_late:
                    running[key] = [d_on, d_late]
            else:
                v[0] += d_on
                v[1] += d_late
                if v[0] == 0 and v[1] == 0:
                    del running[key]
        return [(key, v[0], v[1]) for key, v in running.items()] if emit else []

    def dump(self) -> bytes:
        return pickle.dumps((self.running, dict(self.pending)), protocol=pickle.HIGHEST_PROTOCOL)


def _copy_text(cursor, table: str, columns: list[str], lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for i in range(0, len(lines), 20_000):
            copy.write("\n".join(lines[i : i + 20_000]) + "\n")


def write_batch(
    cursor, gen: Generator, lines: list[str], stock_rows: list[str], layer: Layer, stocks, next_day, t0: float
) -> dict[str, float]:
    """One transaction: the dossiers, ratings, sequences, flows, stocks and the layer's progress;
    returns the seconds spent per part."""
    from motcua.reports.models import FLOW_COUNTERS

    counters = list(FLOW_COUNTERS)
    spent = {}
    t = time.perf_counter()
    _copy_text(cursor, "dossiers_dossier", gen.columns, lines)
    if gen.ratings:
        _copy_text(
            cursor,
            "engagement_rating",
            ["dossier_id", "id_number", "scores", "overall", "comment", "created_at"],
            gen.ratings,
        )
    # the daily sequences past the numbers used
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_seq (agency_id int, day date, last int) ON COMMIT DELETE ROWS"
    )
    _copy_text(cursor, "bench_seq", ["agency_id", "day", "last"], [f"{a}\t{d}\t{n}" for (a, d), n in gen.seq.items()])
    cursor.execute(
        "INSERT INTO dossiers_dailysequence (agency_id, day, last) SELECT agency_id, day, last FROM bench_seq "
        "ON CONFLICT (agency_id, day) DO UPDATE SET last = GREATEST(dossiers_dailysequence.last, EXCLUDED.last)"
    )
    spent["dossiers"], t = time.perf_counter() - t, time.perf_counter()
    # flows: daily rows, and the months they add up to
    cols = ", ".join(counters)
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_flow (day date, agency_id int, procedure_id int, field_id int, "
        + ", ".join(f"{c} int" for c in counters)
        + ") ON COMMIT DELETE ROWS"
    )
    _copy_text(
        cursor,
        "bench_flow",
        ["day", "agency_id", "procedure_id", "field_id", *counters],
        [f"{d}\t{a}\t{p}\t{f}\t" + "\t".join(map(str, v)) for (d, a, p, f), v in gen.flows.items()],
    )
    add = ", ".join(f"{c} = {{t}}.{c} + EXCLUDED.{c}" for c in counters)
    cursor.execute(
        f"INSERT INTO reports_dailyflow (day, agency_id, procedure_id, field_id, {cols}) "
        f"SELECT day, agency_id, procedure_id, field_id, {cols} FROM bench_flow "
        f"ON CONFLICT (day, agency_id, procedure_id) DO UPDATE SET {add.format(t='reports_dailyflow')}"
    )
    sums = ", ".join(f"sum({c})" for c in counters)
    cursor.execute(
        f"INSERT INTO reports_monthlyflow (month, agency_id, procedure_id, field_id, {cols}) "
        f"SELECT date_trunc('month', day)::date, agency_id, procedure_id, min(field_id), {sums} FROM bench_flow "
        f"GROUP BY 1, 2, 3 ON CONFLICT (month, agency_id, procedure_id) DO UPDATE SET "
        f"{add.format(t='reports_monthlyflow')}"
    )
    spent["flows"], t = time.perf_counter() - t, time.perf_counter()
    # stocks at the day-ends of the batch (in the snapshot window)
    if stock_rows:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_open (day date, agency_id int, procedure_id int, field_id int, "
            "on_time int, late int) ON COMMIT DELETE ROWS"
        )
        _copy_text(
            cursor, "bench_open", ["day", "agency_id", "procedure_id", "field_id", "on_time", "late"], stock_rows
        )
        cursor.execute(
            "INSERT INTO reports_opensnapshot (day, agency_id, procedure_id, field_id, on_time, late) "
            "SELECT day, agency_id, procedure_id, field_id, on_time, late FROM bench_open "
            "ON CONFLICT (day, agency_id, procedure_id) DO UPDATE SET "
            "on_time = reports_opensnapshot.on_time + EXCLUDED.on_time, "
            "late = reports_opensnapshot.late + EXCLUDED.late"
        )
    cursor.execute(
        f"UPDATE {LAYERS} SET done = done + %s, next_day = %s, seconds = seconds + %s, state = %s, finished = %s "
        "WHERE layer = %s",
        [len(lines), next_day, time.perf_counter() - t0, stocks.dump(), next_day > layer.last_day, layer.layer],
    )
    spent["stocks"] = time.perf_counter() - t
    return spent


def run_layer(layer: Layer, combos: list[Combo], args, deadline: float | None) -> tuple[int, float, bool]:
    """Generate (the rest of) ``layer``; returns (dossiers added, seconds, finished)."""
    from django.db import connection, transaction

    from motcua.workcalendar.engine import VN_TZ
    from motcua.workcalendar.services import get_calendar

    cal = get_calendar()
    counts = day_counts(layer.target, layer.first_day, layer.last_day, cal, layer.seed)
    now = dt.datetime.now(dt.UTC)
    gen = Generator(cal, now, layer.first_day, layer.last_day, combos, layer.seed)
    stocks = Stocks(layer.state)
    cum = []
    total = 0.0
    for c in combos:
        total += c.weight
        cum.append(total)
    n_combos = len(combos)
    horizon = layer.last_day.toordinal()
    snap_from = layer.snapshot_from.toordinal()
    day = layer.next_day
    left = sum(n for d, n in counts.items() if d >= day)
    say(
        f"layer {layer.layer}: {layer.target:,} dossiers from {layer.first_day} to {layer.last_day} "
        f"(stocks from {layer.snapshot_from}); {layer.done:,} done, {left:,} to go from {day}"
    )
    added, t_start = 0, time.perf_counter()
    t_gen = t_db = 0.0
    t_parts: dict[str, float] = defaultdict(float)
    with connection.cursor() as c:
        c.execute("SET synchronous_commit = off")
        c.execute("SET session_replication_role = replica")  # no per-row FK triggers (valid by construction)
        c.execute("SET work_mem = '256MB'")
    while day <= layer.last_day:
        t0 = time.perf_counter()
        batch_days = []
        n = 0
        while day <= layer.last_day and (n < args.batch or not batch_days):
            batch_days.append(day)
            n += counts.get(day, 0)
            day += dt.timedelta(days=1)
        with connection.cursor() as c:
            c.execute(
                "SELECT setval(s, nextval(s) + %s) FROM pg_get_serial_sequence('dossiers_dossier', 'id') AS s",
                [max(n - 1, 0)],
            )
            next_id = c.fetchone()[0] - max(n - 1, 0)
            c.execute(
                "SELECT agency_id, day, last FROM dossiers_dailysequence WHERE day BETWEEN %s AND %s",
                [batch_days[0], batch_days[-1]],
            )
            gen.seq = {(a, d): last for a, d, last in c.fetchall()}
        gen.flows, gen.points, gen.ratings = {}, [], []
        lines = []
        for d in batch_days:
            k = counts.get(d, 0)
            if not k:
                continue
            rng = random.Random(f"{layer.seed}-{d.isoformat()}")
            day_off = cal.to_offset(dt.datetime(d.year, d.month, d.day, 7, tzinfo=VN_TZ))
            for _ in range(k):
                combo = combos[min(bisect_right(cum, rng.random() * total), n_combos - 1)]
                lines.append(gen.dossier(rng, combo, d, day_off, next_id))
                next_id += 1
        stocks.add(gen.points, horizon)
        stock_rows = []
        for d in batch_days:
            o = d.toordinal()
            rows = stocks.close_day(o, o >= snap_from)
            if o >= snap_from:
                stock_rows += [f"{d}\t{a}\t{p}\t{f}\t{on}\t{late}" for (a, p, f), on, late in rows]
        t1 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as c:
            spent = write_batch(c.cursor, gen, lines, stock_rows, layer, stocks, day, t0)
        t2 = time.perf_counter()
        for part, seconds in spent.items():
            t_parts[part] += seconds
        t_gen += t1 - t0
        t_db += t2 - t1
        added += len(lines)
        elapsed = time.perf_counter() - t_start
        say(
            f"  {batch_days[0]}..{batch_days[-1]}: +{len(lines):,} dossiers, {len(gen.flows):,} flow rows, "
            f"{len(stock_rows):,} stock rows, {len(gen.ratings):,} ratings — layer {layer.done + added:,}/"
            f"{layer.target:,}, {elapsed:.0f} s ({added / elapsed:,.0f}/s; python {t_gen:.0f} s, db {t_db:.0f} s = "
            + " + ".join(f"{k} {v:.0f}" for k, v in t_parts.items())
            + "; "
            f"load {os.getloadavg()[0]:.1f})"
        )
        if deadline is not None and time.perf_counter() > deadline and day <= layer.last_day:
            say(f"  time budget reached: layer {layer.layer} stopped before {day} (run again to go on)")
            break
    with connection.cursor() as c:
        c.execute("RESET session_replication_role")
        c.execute("RESET synchronous_commit")
    return added, time.perf_counter() - t_start, day > layer.last_day


# ------------------------------------------------------------------------------------------------
# Indexes, statistics, sizes
# ------------------------------------------------------------------------------------------------
def drop_indexes() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"CREATE TABLE IF NOT EXISTS {DROPPED} (name text PRIMARY KEY, definition text NOT NULL)")
        c.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid), array_agg(a.attname::text)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
            WHERE x.indrelid = 'dossiers_dossier'::regclass AND NOT x.indisunique AND NOT x.indisprimary
            GROUP BY 1, 2
            """
        )
        dropped = []
        for name, definition, cols in c.fetchall():
            if set(cols) & set(RANDOM_KEY_COLUMNS):
                c.execute(f"INSERT INTO {DROPPED} VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition])
                c.execute(f'DROP INDEX "{name}"')
                dropped.append(name)
    if dropped:
        say(f"  dropped {len(dropped)} random-key indexes for the load: {', '.join(dropped)}")


def restore_indexes() -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SELECT to_regclass(%s) IS NOT NULL", [DROPPED])
        if not c.fetchone()[0]:
            return 0.0
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
    return time.perf_counter() - t0


def finish() -> float:
    from django.db import connection

    t0 = time.perf_counter()
    restore_indexes()
    with connection.cursor() as c:
        for table in (
            "dossiers_dossier",
            "reports_dailyflow",
            "reports_monthlyflow",
            "reports_opensnapshot",
            "engagement_rating",
        ):
            t = time.perf_counter()
            c.execute(f"VACUUM (ANALYZE) {table}")
            say(f"  VACUUM ANALYZE {table} {time.perf_counter() - t:.0f} s")
    return time.perf_counter() - t0


def sizes() -> list[str]:
    from django.db import connection

    out = []
    with connection.cursor() as c:
        c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out.append(f"database {c.fetchone()[0]}")
        for table in (
            "dossiers_dossier",
            "reports_dailyflow",
            "reports_monthlyflow",
            "reports_opensnapshot",
            "engagement_rating",
        ):
            c.execute(
                "SELECT reltuples::bigint, pg_size_pretty(pg_table_size(oid)), pg_size_pretty(pg_indexes_size(oid)) "
                "FROM pg_class WHERE oid = %s::regclass",
                [table],
            )
            rows, heap, idx = c.fetchone()
            out.append(f"{table}: ~{rows:,} rows, table {heap} + indexes {idx}")
    return out


def summary() -> list[str]:
    """What the history looks like, read back from the rollups."""
    from django.db import connection

    from motcua.reports.models import FLOW_COUNTERS

    out = []
    with connection.cursor() as c:
        sums = ", ".join(f"sum({x})" for x in FLOW_COUNTERS)
        c.execute(f"SELECT extract(year FROM month)::int, {sums} FROM reports_monthlyflow GROUP BY 1 ORDER BY 1")
        for r in c.fetchall():
            f = dict(zip(FLOW_COUNTERS, r[1:], strict=True))
            new = f["received_online"] + f["received_direct"] + f["received_post"]
            res = f["resolved_early"] + f["resolved_on_time"] + f["resolved_late"]
            out.append(
                f"{r[0]}: received {new:,} (online {100 * f['received_online'] / max(new, 1):.0f} %), resolved "
                f"{res:,} (late {100 * f['resolved_late'] / max(res, 1):.1f} %, early "
                f"{100 * f['resolved_early'] / max(res, 1):.0f} %), refused {f['refused']:,}, withdrawn "
                f"{f['withdrawn']:,}, supplements {f['supplement_requested']:,}, apologies {f['apologies']:,}"
            )
        c.execute("SELECT count(DISTINCT agency_id), count(DISTINCT procedure_id) FROM reports_monthlyflow")
        a, p = c.fetchone()
        c.execute("SELECT count(*) FROM engagement_rating")
        out.append(f"{a} handling agencies and {p} procedures with flows; {c.fetchone()[0]:,} ratings")
    return out


def check(agencies: int, seed: int) -> list[str]:
    """The rollups against the dossier table for a sample of handling agencies: every flow that the
    dossier columns show (receipts by channel, results by ``classify``'s rule, returns, refusals,
    withdrawals, stops) per (day, agency, procedure), and the stocks at some day-ends recomputed
    from received_at / finished_at / closed_at / due_at / paused_at (as ``rollups.snapshot`` counts)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT DISTINCT agency_id FROM reports_monthlyflow ORDER BY 1")
        pool = [r[0] for r in c.fetchall()]
        sample = sorted(random.Random(seed).sample(pool, min(agencies, len(pool))))
        vn = "AT TIME ZONE 'Asia/Ho_Chi_Minh'"
        c.execute(
            f"""
            WITH d AS (
              SELECT d.*, v.procedure_id FROM dossiers_dossier d
              JOIN catalog_procedureversion v ON v.id = d.version_id WHERE d.agency_id = ANY(%(a)s)
            ), ev AS (
              SELECT (received_at {vn})::date AS day, agency_id, procedure_id,
                     CASE WHEN channel = 'online' THEN 'received_online'
                          WHEN channel IN ('post', 'postal_service') THEN 'received_post'
                          ELSE 'received_direct' END AS c
              FROM d WHERE received_at IS NOT NULL
              UNION ALL
              SELECT (finished_at {vn})::date, agency_id, procedure_id,
                     CASE WHEN apology_count > 0 OR finished_at > due_at THEN 'resolved_late'
                          WHEN (finished_at {vn})::date < (due_at {vn})::date THEN 'resolved_early'
                          ELSE 'resolved_on_time' END
              FROM d WHERE finished_at IS NOT NULL
              UNION ALL
              SELECT (returned_at {vn})::date, agency_id, procedure_id, 'returned' FROM d WHERE returned_at IS NOT NULL
              UNION ALL
              SELECT (closed_at {vn})::date, agency_id, procedure_id, state FROM d
              WHERE state IN ('withdrawn', 'stopped', 'refused')
            ), agg AS (SELECT day, agency_id, procedure_id, c, count(*) AS n FROM ev GROUP BY 1, 2, 3, 4),
            r AS (
              SELECT day, agency_id, procedure_id, x.c, x.n FROM reports_dailyflow f,
              LATERAL (VALUES ('received_online', received_online), ('received_direct', received_direct),
                ('received_post', received_post), ('resolved_late', resolved_late), ('resolved_early', resolved_early),
                ('resolved_on_time', resolved_on_time), ('returned', returned), ('withdrawn', withdrawn),
                ('stopped', stopped), ('refused', refused)) AS x(c, n)
              WHERE x.n > 0 AND f.agency_id = ANY(%(a)s)
            )
            SELECT coalesce(a.c, r.c), sum(coalesce(a.n, 0)), sum(coalesce(r.n, 0)),
                   count(*) FILTER (WHERE coalesce(a.n, 0) <> coalesce(r.n, 0))
            FROM agg a
            FULL JOIN r ON (a.day, a.agency_id, a.procedure_id, a.c) = (r.day, r.agency_id, r.procedure_id, r.c)
            GROUP BY 1 ORDER BY 1
            """,
            {"a": sample},
        )
        flows = c.fetchall()
        c.execute(
            f"""
            WITH days AS (
              SELECT min(day) + k * 29 AS day FROM reports_opensnapshot, generate_series(0, 30) AS k GROUP BY k
            ), e AS (SELECT day, ((day + 1)::timestamp {vn}) AS e FROM days WHERE day < current_date),
            s AS (
              SELECT e.day, d.agency_id, v.procedure_id,
                     count(*) FILTER (WHERE NOT (d.paused_at IS NULL AND d.due_at < e.e)) AS on_time,
                     count(*) FILTER (WHERE d.paused_at IS NULL AND d.due_at < e.e) AS late
              FROM e JOIN dossiers_dossier d ON d.agency_id = ANY(%(a)s) AND d.received_at < e.e
                AND (LEAST(d.finished_at, d.closed_at) IS NULL OR LEAST(d.finished_at, d.closed_at) > e.e)
              JOIN catalog_procedureversion v ON v.id = d.version_id
              GROUP BY 1, 2, 3
            ), o AS (SELECT * FROM reports_opensnapshot WHERE day IN (SELECT day FROM e) AND agency_id = ANY(%(a)s))
            SELECT count(DISTINCT coalesce(s.day, o.day)), sum(coalesce(s.on_time, 0)), sum(coalesce(o.on_time, 0)),
                   sum(coalesce(s.late, 0)), sum(coalesce(o.late, 0)),
                   count(*) FILTER (WHERE coalesce(s.on_time, 0) <> coalesce(o.on_time, 0)
                                    OR coalesce(s.late, 0) <> coalesce(o.late, 0))
            FROM s FULL JOIN o ON (s.day, s.agency_id, s.procedure_id) = (o.day, o.agency_id, o.procedure_id)
            """,
            {"a": sample},
        )
        days, s_on, o_on, s_late, o_late, bad_stock = c.fetchone()
    bad = sum(r[3] for r in flows) + (bad_stock or 0)
    out = [f"check on {len(sample)} handling agencies: {'OK, rollups = dossiers' if not bad else f'{bad} DIFFERENCES'}"]
    out += [f"  {name:<17} dossiers {a:>10,}  rollup {b:>10,}  keys differing {k}" for name, a, b, k in flows]
    out.append(
        f"  stocks at {days} day-ends: on time {s_on or 0:,} / {o_on or 0:,}, late {s_late or 0:,} / {o_late or 0:,} "
        f"(dossiers / snapshot), keys differing {bad_stock or 0}"
    )
    return out


# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dossiers", type=int, default=10_000_000, help="dossiers wanted in the history (topped up)")
    ap.add_argument("--years", type=float, default=5.0, help="length of the history (new layers)")
    ap.add_argument("--agencies", type=int, default=200, help="at least this many agencies")
    ap.add_argument("--procedures", type=int, default=500, help="at least this many procedures")
    ap.add_argument("--snapshot-days", type=int, default=400, help="day-end stocks for at least the last N days")
    ap.add_argument("--batch", type=int, default=100_000, help="dossiers per COPY batch (whole days)")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop after the batch that exceeds this")
    ap.add_argument("--check", type=int, default=0, metavar="N", help="verify the rollups on N sampled agencies")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/motcua_bench_reports"
        )
    ensure_database(url)
    t_all = time.perf_counter()
    deadline = t_all + args.max_minutes * 60 if args.max_minutes else None

    import django

    django.setup()
    from django.db import connection

    setup_province()
    with connection.cursor() as c:
        c.execute("SELECT to_regclass('reports_dailyflow') IS NOT NULL")
        if not c.fetchone()[0]:
            sys.exit("The reports tables are missing: is motcua.reports in INSTALLED_APPS with its migration?")
    _ensure_tables()
    expand_org(args.agencies)
    expand_catalog(args.procedures, args.seed)
    combos = build_combos(args.seed)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM dossiers_dossier")
        have = c.fetchone()[0]
    say(f"dossiers: {have:,} in the table, {args.dossiers:,} wanted")
    generated, gen_seconds, finished_all = 0, 0.0, True
    todo = [layer for layer in layers() if not layer.finished]
    if not todo and have < args.dossiers:
        todo = [new_layer(args.dossiers - have, args)]
    if todo and sum(x.target - x.done for x in todo) >= BULK:
        drop_indexes()
    for layer in todo:
        added, seconds, finished = run_layer(layer, combos, args, deadline)
        generated += added
        gen_seconds += seconds
        if not finished:
            finished_all = False
            break
    t_fin = finish() if generated or todo else 0.0
    db = urllib.parse.urlparse(url).path.lstrip("/")
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM dossiers_dossier")
        total = c.fetchone()[0]
    print()
    print(f"== MotCua history — database {db}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} ==")
    if generated:
        print(
            f"generated {generated:,} dossiers (with their rollups) in {gen_seconds:.0f} s "
            f"({generated / gen_seconds:,.0f}/s) + {t_fin:.0f} s indexes/VACUUM ANALYZE; "
            f"whole run {time.perf_counter() - t_all:.0f} s"
        )
    if not finished_all:
        print("the last layer is NOT finished (time budget): its dossiers stop at a day; run again to complete it")
    print(f"dossiers: {total:,} (wanted {args.dossiers:,})")
    for layer in layers():
        print(
            f"  layer {layer.layer}: {layer.done:,}/{layer.target:,} from {layer.first_day} to {layer.last_day}, "
            f"stocks from {layer.snapshot_from}, {layer.seconds:.0f} s{'' if layer.finished else ' (unfinished)'}"
        )
    for line in summary():
        print(f"  {line}")
    for line in sizes():
        print(f"  {line}")
    if args.check:
        t = time.perf_counter()
        for line in check(args.check, args.seed):
            print(line)
        print(f"  (check {time.perf_counter() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
