"""The Decision 766 index and the seeds' targets on a hand-computed fixture.

Period: 15/01/2026 – 28/02/2026 (45 days): January's part is read from DailyFlow, February (a whole
month) from MonthlyFlow. Two agencies have flows:

A = UBND phường Bình Minh (commune, desk MC-99001, desk officer motcua.xa)
  daily 20/01, 1.001193 (online: full): online 6, direct 3, post 1; early 2, on time 5, late 1
  monthly 02/2026, 1.001193:             online 4, direct 6;          on time 10, late 1
  monthly 02/2026, 2.000884 (no online): direct 10;                   on time 10
B = Sở Tư pháp (province, served by the provincial centre's desk, desk officer motcua.tinh)
  daily 20/01, 2.000488 (full):          online 30, direct 50;        on time 40
  monthly 02/2026, 2.000488:             online 40, direct 60;        early 20, late 20
Decoys that must not count: a daily row before the period, a monthly row of January (read daily).

Dossiers at A (birth registration, submitted 02/02/2026): d1–d3 fees paid at the counter, d4 fees
due; d1 also paid online (a confirmed gateway payment). d1 scanned at intake; d1 and d2 resolved, d1
with a signed e-result. Ratings 5, 4, 4, 2. Reuse: d1 accepted, d2 rejected. National portal: d1's
messages delivered, d2's pending. Queue tickets at MC-99001: waits 10 and 20 min, intakes 30 and 40.
The legal basis of 2.000884 (commune) is blanked: one procedure with incomplete published data.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.documents import services as documents
from motcua.documents.models import Document, Kind
from motcua.engagement.models import Rating, ServiceGroup, Ticket
from motcua.integration.models import NATIONAL_PORTAL, OutboxMessage
from motcua.org.models import Agency, Desk
from motcua.payments.models import Payment
from motcua.reports import kpis, targets
from motcua.reports.models import FLOW_COUNTERS, DailyFlow, MonthlyFlow
from motcua.wallet.models import Reuse
from tests.api.conftest import act, receive
from tests.dossiers.conftest import vn

START, END = dt.date(2026, 1, 15), dt.date(2026, 2, 28)
A_CODE, B_CODE = "000.01.31.H99", "000.00.06.H99"
PDF = (  # a minimal PDF that opens (uploads are inspected: documents.services.check_upload)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _file(i):
    return documents.check_upload(SimpleUploadedFile(f"{i}.pdf", PDF + f"%{i}\n".encode()))


def flow(model, when, agency, code, **counts):
    procedure = Procedure.objects.get(code=code)
    field_id = ProcedureVersion.objects.filter(procedure=procedure).values_list("field_id", flat=True).first()
    period = "day" if model is DailyFlow else "month"
    model.objects.create(**{period: when}, agency=agency, procedure=procedure, field_id=field_id, **counts)


@pytest.fixture
def fixture(users):
    a, b = Agency.objects.get(code=A_CODE), Agency.objects.get(code=B_CODE)
    day = vn(2026, 2, 2, 9)
    d1, d2, d3 = (receive(users, now=day + dt.timedelta(minutes=i)) for i in range(3))
    d4 = receive(users, now=day + dt.timedelta(minutes=3), fee_paid=False)
    # d1: both papers scanned at intake.
    documents.attach(d1, "TP01", _file(1))
    documents.attach(d1, "TP02", _file(2))
    Document.objects.filter(dossier=d1).update(uploaded_at=day + dt.timedelta(minutes=10))
    for d in (d1, d2):
        d = act(users, d, "transfer", "motcua.xa", now=day + dt.timedelta(hours=1))
        d = act(users, d, "forward", "chuyenvien.xa", now=day + dt.timedelta(hours=2))
        act(users, d, "issue_result", "lanhdao.xa", now=day + dt.timedelta(hours=3))
    documents.register(_file(9), kind=Kind.RESULT, source="issued_result", dossier=d1, agency=a, signed=True)
    for d, overall in zip((d1, d2, d3, d4), (5, 4, 4, 2), strict=True):
        Rating.objects.create(dossier=d, id_number=d.applicant_id_number, overall=overall, created_at=vn(2026, 2, 10))
    Payment.objects.create(dossier=d1, order_id="MC260202TEST", amount=8000, status="paid", paid_at=day)
    Reuse.objects.create(dossier=d1, component_code="TP02", source="population_db", status="accepted")
    Reuse.objects.create(dossier=d2, component_code="TP02", source="population_db", status="rejected", reason="Mờ")
    OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL, dossier=d1).update(status="delivered")
    assert OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL, dossier=d2).exclude(status="delivered").exists()
    desk = Desk.objects.get(code="MC-99001")
    group = ServiceGroup.objects.create(desk=desk, letter="A", name="Hộ tịch")
    for n, (when, wait, intake) in enumerate(
        [(dt.date(2026, 2, 3), 600, 1800), (dt.date(2026, 2, 4), 1200, 2400), (dt.date(2026, 3, 2), 6000, 6000)], 1
    ):
        at = vn(when.year, when.month, when.day, 8)
        Ticket.objects.create(
            desk=desk,
            group=group,
            day=when,
            number=n,
            code=f"A{n:03d}",
            issued_at=at,
            queued_at=at,
            wait_seconds=wait,
            intake_seconds=intake,
        )
    ProcedureVersion.objects.filter(procedure__code="2.000884").update(legal_basis=" ")

    # The flows: what the services counted is replaced by the hand-written rows.
    DailyFlow.objects.all().delete()
    MonthlyFlow.objects.all().delete()
    jan20, feb, jan = dt.date(2026, 1, 20), dt.date(2026, 2, 1), dt.date(2026, 1, 1)
    kw = dict(received_online=6, received_direct=3, received_post=1)
    flow(DailyFlow, jan20, a, "1.001193", **kw, resolved_early=2, resolved_on_time=5, resolved_late=1)
    flow(MonthlyFlow, feb, a, "1.001193", received_online=4, received_direct=6, resolved_on_time=10, resolved_late=1)
    flow(MonthlyFlow, feb, a, "2.000884", received_direct=10, resolved_on_time=10)
    flow(DailyFlow, jan20, b, "2.000488", received_online=30, received_direct=50, resolved_on_time=40)
    flow(MonthlyFlow, feb, b, "2.000488", received_online=40, received_direct=60, resolved_early=20, resolved_late=20)
    flow(DailyFlow, dt.date(2026, 1, 10), a, "1.001193", received_online=100, resolved_late=100)  # before
    flow(MonthlyFlow, jan, a, "1.001193", received_online=50, resolved_late=50)  # January is read daily
    return a, b


def scores(card):
    return {code: g["score"] for code, g in card["groups"].items()}


def test_index_766_hand_computed(fixture):
    a, b = fixture
    index = kpis.index_766(START, END, by_agency=True)

    # A: publicity 10 of its 11 commune procedures complete → 18 × 10/11 = 16.36; progress 27 of 29
    # resolved in time → 20 × 27/29 = 18.62; online 10 of 20 dossiers of 1.001193 (2.000884 is not
    # online) → 6; digitization mean(1/4 at intake, 1/2 results) → 22 × 0.375 = 8.25; satisfaction
    # 3/4 → 13.5; payment 1 of 4 fee-bearing dossiers paid online → 2.5.
    [row_b, row_a] = index["agencies"]  # by agency code
    assert (row_a["agency_code"], row_b["agency_code"]) == (A_CODE, B_CODE)
    assert scores(row_a) == {
        "publicity": 16.36,
        "progress": 18.62,
        "online": 6.0,
        "digitization": 8.25,
        "satisfaction": 13.5,
        "payment": 2.5,
    }
    # Total over all 100 points: 18·10/11 + 20·27/29 + 6 + 8.25 + 13.5 + 2.5 = 65.23.
    assert row_a["points_available"] == 100 and row_a["total"] == 65.23
    assert row_a["groups"]["progress"]["rate"] == 93.1
    assert row_a["groups"]["digitization"]["detail"]["intake"] == {"part": 1, "whole": 4, "rate": 25.0}
    assert row_a["groups"]["online"]["detail"] == {"part": 10, "whole": 20}

    # B has no dossiers in the dossier table: only publicity (its one listed procedure, complete),
    # progress 60/80 and online 70/180 are scored, over 50 points:
    # (18 + 15 + 12·70/180) / 50 × 100 = 75.33.
    assert scores(row_b) == {
        "publicity": 18.0,
        "progress": 15.0,
        "online": 4.67,
        "digitization": None,
        "satisfaction": None,
        "payment": None,
    }
    assert (row_b["points_available"], row_b["total"]) == (50, 75.33)

    # Province: publicity 47 of the 48 procedures in force → 17.63; progress 87/109 → 15.96; online
    # 80/200 → 4.8; the dossier-based groups as A's. Total 17.625 + 15.963 + 4.8 + 8.25 + 13.5 + 2.5.
    province = index["province"]
    assert scores(province) == {
        "publicity": 17.63,
        "progress": 15.96,
        "online": 4.8,
        "digitization": 8.25,
        "satisfaction": 13.5,
        "payment": 2.5,
    }
    assert province["total"] == 62.64
    assert kpis.index_766(START, END)["total"] == 62.64  # the same without the breakdown

    # Limited to A: the scope's card equals A's row.
    only_a = kpis.index_766(START, END, [a.pk], by_agency=True)
    assert [r["agency_code"] for r in only_a["agencies"]] == [A_CODE]
    assert scores(only_a["province"]) == scores(row_a) and only_a["province"]["total"] == 65.23


def rows_by(rows):
    return {(r["code"], r["level"]): r for r in rows}


def test_targets_hand_computed(fixture):
    rows = rows_by(targets.actuals(START, END))
    assert {code for code, _ in rows} == {t.code for t in targets.TARGETS}

    def check(code, level, target, actual, met):
        r = rows[(code, level)]
        assert (r["target"], r["actual"], r["met"]) == (target, actual, met), r
        assert r["label"] and r["source"] and r["target_source"]

    check("online_share", None, 50, 38.1, False)  # 80 online / 210 received
    check("online_share_p06", None, 60, 38.1, False)
    check("on_time", None, 99, 79.82, False)  # 87 / 109
    check("electronic_transfer", None, 80, 25.0, False)  # 1 of 4 dossiers digitized at intake
    check("intake_digitized", "commune", 100, 25.0, False)  # 2026: every level 100%
    check("results_digitized", "commune", 100, 50.0, False)  # 1 of 2 results signed
    check("results_synced", None, 100, 50.0, False)  # d1 synced, d2 pending
    check("reuse", None, 80, 50.0, False)
    check("online_payment_transactions", None, 30, 33.33, True)  # 1 online of 3 paid
    check("online_payment_dossiers", None, 60, 25.0, False)  # 1 of 4 with fees
    check("satisfaction", None, 95, 75.0, False)
    check("wait_minutes", None, 15, 15.0, True)  # (10 + 20) / 2; March's ticket is outside
    check("intake_minutes", None, 30, 35.0, False)
    # Online services with an online dossier: 1.001193 and 2.000488 among the 46 offered online.
    assert (rows[("online_services_used", None)]["part"], rows[("online_services_used", None)]["whole"]) == (2, 46)
    # Productivity, per tier, over 45 days: province 180 dossiers × 365/45 / 1 officer = 1460 < 1600;
    # commune 30 × 365/45 = 243.33 (no target outside remote areas); district: an officer, no dossier.
    check("productivity", "province", 1600, 1460.0, False)
    check("productivity", "commune", None, 243.33, None)
    check("productivity", "district", 1200, 0.0, False)
    assert rows[("productivity", "commune")]["note"] == "Các văn bản không đặt chỉ tiêu cho cấp này."


def test_no_data(users):
    """A period without any data: no index score, every actual None with a Vietnamese reason."""
    empty = kpis.index_766(dt.date(2020, 1, 1), dt.date(2020, 1, 31), by_agency=True)
    assert empty["agencies"] == []
    province = empty["province"]
    # Only the catalog speaks: every procedure in force at 31/01/2020 — none in the demo catalog.
    assert province["total"] is None and province["points_available"] == 0
    assert all(g["score"] is None for g in province["groups"].values())
    for row in targets.actuals(dt.date(2020, 1, 1), dt.date(2020, 1, 31)):
        if row["code"] == "productivity":
            continue  # desk officers exist without dossiers: 0 per officer
        assert row["actual"] is None and row["met"] is None, row
        assert row["note"], row
    rows = rows_by(targets.actuals(dt.date(2020, 1, 1), dt.date(2020, 1, 31)))
    assert rows[("on_time", None)]["note"] == "Không có hồ sơ nào được giải quyết trong kỳ."
    assert rows[("satisfaction", None)]["note"] == "Chưa có đánh giá nào trong kỳ."


def test_target_values_by_year_and_level():
    t = targets.BY_CODE
    assert t["results_digitized"].value_for(2023, "province") == 70
    assert t["results_digitized"].value_for(2023, "commune") == 55
    assert t["results_digitized"].value_for(2024, "district") == 80
    assert t["results_digitized"].value_for(2030, "commune") == 100
    assert t["reuse"].value_for(2022) == 30 and t["reuse"].value_for(2024) == 30 and t["reuse"].value_for(2025) == 80
    assert t["reuse"].value_for(2021) == 30  # before the first milestone: the first
    assert t["intake_digitized"].value_for(2021, "district") == 50  # the first milestone with the level
    assert [t["productivity"].value_for(2026, lv) for lv in ("province", "district", "remote", "commune")] == [
        1600,
        1200,
        800,
        None,
    ]
    assert t["wait_minutes"].met(14.9, 15) is True and t["wait_minutes"].met(15.1, 15) is False
    assert t["on_time"].met(None, 99) is None
    assert set(FLOW_COUNTERS) >= {"received_online", "resolved_late"}
