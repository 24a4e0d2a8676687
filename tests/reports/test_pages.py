"""Report pages: the dashboard (scoped by role and agency, drill-down province → agency → field →
procedure), the dossiers behind a figure, the exports; no N+1 queries."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers import services
from motcua.reports import rollups
from motcua.workcalendar.engine import VN_TZ
from tests.privacy.helpers import state_purpose

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345"}
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)
MARCH = {"tu": "01/03/2026", "den": "31/03/2026"}


def world(users):
    desk, spec, lead = users["motcua.xa"], users["chuyenvien.xa"], users["lanhdao.xa"]
    made = []
    for i, channel in enumerate(["counter", "counter", "post", "online"]):
        d, _ = services.create_dossier(
            user=desk if channel != "online" else None,
            procedure_code="1.001193",
            channel=channel,
            desk_code="MC-99001" if channel != "online" else None,
            agency_code="000.01.31.H99" if channel == "online" else None,
            applicant=AN,
            components=["TP01", "TP02"],
            identity={"status": "verified"},
            fee_paid=True,
            now=T0 + dt.timedelta(hours=i),
        )
        if channel == "online":
            d = services.act(d, "accept", user=desk, now=T0 + dt.timedelta(hours=i + 1))
        made.append(d)
    d = services.act(made[0], "transfer", user=desk, now=T0 + dt.timedelta(hours=5))
    d = services.act(d, "forward", user=spec, now=T0 + dt.timedelta(hours=6))
    services.act(d, "issue_result", user=lead, data={"result_number": "1"}, now=T0 + dt.timedelta(hours=7))
    rollups.snapshot(dt.date(2026, 3, 31))
    return made


def test_dashboard_drill_and_dossiers_behind_a_figure(client, users):
    made = world(users)
    client.force_login(users["thanhtra"])  # inspector: the whole province
    state_purpose(client, "bao-cao")  # an inspector states why (motcua.privacy.purpose)
    page = client.get("/can-bo/bao-cao/", MARCH).content.decode()
    commune = made[0].agency
    assert commune.name in page and 'id="periodic"' in page and 'id="heat"' in page
    page = client.get("/can-bo/bao-cao/chi-so/", MARCH).content.decode()
    assert 'id="index-766"' in page and 'id="targets"' in page and "Tổng điểm" in page
    page = client.get("/can-bo/bao-cao/", MARCH).content.decode()
    assert "100,0%" in page or "100.0" in page  # one resolved, early
    # Drill: the agency → by field, then the dossiers received online.
    page = client.get("/can-bo/bao-cao/", {**MARCH, "agency": commune.pk}).content.decode()
    assert "Hộ tịch" in page or "Lĩnh vực" in page
    r = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "agency": commune.pk, "chi-so": "received_online"})
    body = r.content.decode()
    assert r.status_code == 200 and made[3].code in body and made[0].code not in body
    early = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "resolved_early"}).content.decode()
    assert made[0].code in early and made[1].code not in early


def test_scoped_to_the_users_agencies(client, users, stranger):
    made = world(users)
    client.force_login(users["motcua.xa"])  # the commune's own desk officer: its agency only
    page = client.get("/can-bo/bao-cao/", MARCH).content.decode()
    assert made[0].agency.name in page
    client.force_login(stranger)  # another commune's officer
    page = client.get("/can-bo/bao-cao/", MARCH).content.decode()
    assert made[0].agency.name not in page
    assert client.get("/can-bo/bao-cao/", {**MARCH, "agency": made[0].agency_id}).status_code == 403
    r = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received"})
    assert made[0].code not in r.content.decode()
    client.logout()
    assert client.get("/can-bo/bao-cao/").status_code == 302


def test_exports_from_the_page(client, users):
    world(users)
    client.force_login(users["thanhtra"])
    xlsx = client.get("/can-bo/bao-cao/", {**MARCH, "dinh-dang": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get("/can-bo/bao-cao/", {**MARCH, "dinh-dang": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_list_pages_do_not_grow_queries_with_rows(client, users):
    world(users)
    client.force_login(users["thanhtra"])
    state_purpose(client, "bao-cao")  # an inspector states why (motcua.privacy.purpose)
    with CaptureQueriesContext(connection) as few:
        client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received"})
    with CaptureQueriesContext(connection) as dash_few:
        client.get("/can-bo/bao-cao/", MARCH)
    world(users)  # twice the dossiers
    with CaptureQueriesContext(connection) as more:
        client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received"})
    with CaptureQueriesContext(connection) as dash_more:
        client.get("/can-bo/bao-cao/", MARCH)
    assert len(more) == len(few)
    assert len(dash_more) == len(dash_few) < 20  # aggregates: a fixed number of queries


def test_late_analysis_names_the_step_and_agency_that_overran(client, users):
    """A birth registration resolved ~20 days after receipt: its specialist step used far more than
    its budget; the analysis attributes the overrun to that step's agency."""
    desk, spec, lead = users["motcua.xa"], users["chuyenvien.xa"], users["lanhdao.xa"]
    d, _ = services.create_dossier(
        user=desk,
        procedure_code="1.001193",
        channel="counter",
        desk_code="MC-99001",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
        now=T0,
    )
    d = services.act(d, "transfer", user=desk, now=T0 + dt.timedelta(hours=1))
    d = services.act(d, "forward", user=spec, now=T0 + dt.timedelta(days=20))
    services.act(d, "issue_result", user=lead, data={"result_number": "1"}, now=T0 + dt.timedelta(days=20, hours=1))
    client.force_login(users["thanhtra"])
    state_purpose(client, "bao-cao")  # an inspector states why (motcua.privacy.purpose)
    page = client.get("/can-bo/bao-cao/tre-han/", MARCH).content.decode()
    assert d.code in page and d.agency.name in page and "ngày" in page
    from motcua.reports.late import analyse

    result = analyse(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert result["count"] == 1 and result["by_agency"][0]["days"] > 5


def test_scheduled_report_files_are_made_once_and_scoped(client, users, stranger):
    from motcua.reports import files
    from motcua.reports.models import ReportFile

    made = world(users)
    assert files.last_periods(dt.date(2026, 4, 1))[1][0] == "quarterly"  # March ends the first quarter
    count = files.generate_due(dt.date(2026, 4, 1))
    assert count == 8  # (month, quarter) × (province, the commune) × (xlsx, pdf)
    assert files.generate_due(dt.date(2026, 4, 1)) == 0  # idempotent
    client.force_login(users["motcua.xa"])
    page = client.get("/can-bo/bao-cao/tep/").content.decode()
    assert made[0].agency.name in page and "Toàn tỉnh" not in page  # its agency's only
    mine = ReportFile.objects.filter(agency=made[0].agency, fmt="xlsx", kind="monthly").get()
    r = client.get(f"/can-bo/bao-cao/tep/{mine.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"
    client.force_login(stranger)
    assert client.get(f"/can-bo/bao-cao/tep/{mine.pk}/").status_code == 404


def test_by_administrative_level_and_drill_into_a_level(client, users):
    made = world(users)
    client.force_login(users["thanhtra"])
    state_purpose(client, "bao-cao")  # an inspector states why (motcua.privacy.purpose)
    page = client.get("/can-bo/bao-cao/", {**MARCH, "theo": "level"}).content.decode()
    assert "Cấp xã" in page
    level = made[0].agency.unit.level_id
    page = client.get("/can-bo/bao-cao/", {**MARCH, "level": level, "theo": "agency"}).content.decode()
    assert made[0].agency.name in page
    r = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "level": level, "chi-so": "received"})
    assert made[1].code in r.content.decode()


def test_every_figure_links_to_its_dossiers(client, users):
    """The carried-over, in-progress and total figures open the dossiers they count."""
    made = world(users)
    client.force_login(users["thanhtra"])
    state_purpose(client, "bao-cao")  # an inspector states why (motcua.privacy.purpose)
    page = client.get("/can-bo/bao-cao/", MARCH).content.decode()
    for measure in ("received_total", "carried_over", "in_progress", "open_on_time", "supplement_requested"):
        assert f"chi-so={measure}" in page
    body = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "in_progress"}).content.decode()
    assert made[1].code in body and made[0].code not in body  # made[0] was resolved in March
    total = client.get("/can-bo/bao-cao/ho-so/", {**MARCH, "chi-so": "received_total"}).content.decode()
    assert all(d.code in total for d in made)
