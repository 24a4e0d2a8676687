"""Admin: published versions are frozen; a change is a new version ("Tạo phiên bản mới")."""

import datetime as dt
import html
import json
from html.parser import HTMLParser

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from motcua.catalog.interchange import export_json, import_file
from motcua.catalog.models import Component, Procedure, ProcedureVersion, ProcessStep
from motcua.catalog.services import CatalogError, new_version, publish_all

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/procedureversion/"


def change_url(v) -> str:
    return f"{CHANGELIST}{v.pk}/change/"


def new_version_url(v) -> str:
    return f"{CHANGELIST}{v.pk}/phien-ban-moi/"


def today() -> dt.date:
    return timezone.localdate()


def ddmmyyyy(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


class _FormFields(HTMLParser):
    """The values a browser would submit from the page's main form (no submit buttons)."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file", "image"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_data(response) -> dict:
    parser = _FormFields()
    parser.feed(response.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def v1(demo_org, procedure_data):
    """Version 1, in force since 01/07/2025 (published: dossiers may have been received under it)."""
    procedure_data["agencies"] = ["000.00.06.H99"]
    procedure_data["fees"][0]["exemptions"] = [{"condition": "online", "percent": 50, "description": "Giảm 50%"}]
    publish_all([procedure_data])
    return ProcedureVersion.objects.get(procedure__code="1.001193", number=1)


@pytest.fixture
def staff(client, demo_org, demo_password):
    """The provincial catalog administrator (not a superuser)."""
    assert client.login(username="vanphong", password=demo_password)
    return client


def snapshot(v: ProcedureVersion):
    v = ProcedureVersion.objects.get(pk=v.pk)
    return (
        v.name,
        v.effective_from,
        v.effective_until,
        v.time_limit_days,
        [(c.code, c.name) for c in v.components.all()],
        [(s.order, s.name, s.budget_days) for s in v.steps.all()],
        [(f.name, f.amount) for f in v.fees.all()],
    )


# --- Published versions are read-only -----------------------------------------------------------


def test_published_version_page_is_read_only(staff, v1):
    r = staff.get(change_url(v1))
    assert r.status_code == 200
    page = text(r)
    assert 'name="name"' not in page and 'name="_save"' not in page
    assert 'name="components-0-name"' not in page and 'name="steps-0-budget_days"' not in page
    assert 'name="fees-0-amount"' not in page and 'name="results-__prefix__-code"' not in page  # nor "add another"
    assert "Tờ khai đăng ký khai sinh" in page  # inlines still shown, read-only
    assert "đã có hiệu lực" in page and "Tạo phiên bản mới" in page
    assert "deletelink" not in page


def test_post_to_a_published_version_changes_nothing(staff, v1):
    before = snapshot(v1)
    data = {
        "name": "Đã sửa lén",
        "effective_from": "01/01/2020",
        "time_limit_days": "10",
        "components-TOTAL_FORMS": "1",
        "components-INITIAL_FORMS": "1",
        "components-0-id": str(v1.components.first().pk),
        "components-0-name": "Đã sửa lén",
    }
    assert staff.post(change_url(v1), data).status_code == 403
    assert staff.post(f"{CHANGELIST}{v1.pk}/delete/", {"post": "yes"}).status_code == 403
    # Bulk delete from the list asks for a permission nobody has on a published version.
    staff.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [v1.pk], "post": "yes"})
    assert snapshot(v1) == before
    assert Component.objects.filter(version=v1).count() == 2


# --- Future versions stay editable --------------------------------------------------------------


def test_future_version_is_editable(staff, v1):
    v2 = new_version(v1, today() + dt.timedelta(days=30))
    r = staff.get(change_url(v2))
    assert r.status_code == 200 and 'name="name"' in text(r) and 'name="components-0-name"' in text(r)
    data = form_data(r)
    data.update(
        {
            "name": "Đăng ký khai sinh (sửa đổi)",
            "time_limit_days": "2.5",
            "components-1-name": "Giấy chứng sinh (bản chính)",
        }
    )
    data["steps-1-budget_days"] = "1"
    r = staff.post(change_url(v2), data)
    assert r.status_code == 302, text(r)
    v2.refresh_from_db()
    assert v2.name == "Đăng ký khai sinh (sửa đổi)" and str(v2.time_limit_days) == "2.5"
    assert [c.name for c in v2.components.all()][1] == "Giấy chứng sinh (bản chính)"
    # Version 1 — the one dossiers were received under — is untouched.
    assert v1.components.get(code="TP02").name == "Giấy chứng sinh"
    assert ProcedureVersion.objects.get(pk=v1.pk).name == "Đăng ký khai sinh"


def test_future_version_start_cannot_move_into_the_past(staff, v1):
    v2 = new_version(v1, today() + dt.timedelta(days=30))
    data = form_data(staff.get(change_url(v2)))
    data["effective_from"] = ddmmyyyy(today() - dt.timedelta(days=1))
    r = staff.post(change_url(v2), data)
    assert r.status_code == 200 and "đã qua" in text(r)
    # Moving it later keeps the chain: version 1 now closes the day before the new start.
    later = today() + dt.timedelta(days=40)
    data["effective_from"] = ddmmyyyy(later)
    assert staff.post(change_url(v2), data).status_code == 302
    assert ProcedureVersion.objects.get(pk=v1.pk).effective_until == later - dt.timedelta(days=1)


def test_deleting_a_future_version_reopens_the_previous_one(staff, v1):
    v2 = new_version(v1, today() + dt.timedelta(days=30))
    r = staff.post(f"{CHANGELIST}{v2.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not ProcedureVersion.objects.filter(pk=v2.pk).exists()
    assert ProcedureVersion.objects.get(pk=v1.pk).effective_until is None


# --- "Tạo phiên bản mới" ------------------------------------------------------------------------


def test_new_version_via_admin_copies_everything_and_closes_the_previous(staff, v1):
    start = today() + dt.timedelta(days=10)
    # From the list: the action leads to the page asking for the date.
    r = staff.post(CHANGELIST, {"action": "create_new_version", "_selected_action": [v1.pk]})
    assert r.status_code == 302 and r["Location"] == new_version_url(v1)
    r = staff.get(new_version_url(v1))
    assert r.status_code == 200
    assert "Ngày hiệu lực của phiên bản mới" in text(r) and "phiên bản 2" in text(r)
    # The change page has the button too.
    assert new_version_url(v1) in text(staff.get(change_url(v1)))

    r = staff.post(new_version_url(v1), {"effective_from": ddmmyyyy(start)})
    v2 = ProcedureVersion.objects.get(procedure=v1.procedure, number=2)
    assert r.status_code == 302 and r["Location"] == change_url(v2)
    page = text(staff.get(r["Location"]))
    assert f"Đã tạo phiên bản 2 của thủ tục 1.001193 từ phiên bản 1, hiệu lực từ {ddmmyyyy(start)}" in page
    assert 'name="name"' in page  # the new version is editable until it takes effect

    old = ProcedureVersion.objects.get(pk=v1.pk)
    assert old.effective_until == start - dt.timedelta(days=1)
    assert v2.effective_from == start and v2.effective_until is None
    for attr in ("name", "field_id", "agency_kind", "time_limit_days", "online_level", "essential", "legal_basis"):
        assert getattr(v2, attr) == getattr(old, attr), attr
    assert v2.applicant_types == old.applicant_types and v2.search_text == old.search_text

    def parts(v):
        return (
            [(c.order, c.code, c.name, c.required, c.form, c.copies, c.template) for c in v.components.all()],
            [(r.code, r.name, r.validity_days) for r in v.results.all()],
            [(f.kind, f.name, f.amount, f.exemptions) for f in v.fees.all()],
            [(s.order, s.name, s.role, s.agency_kind, s.budget_days, s.parallel) for s in v.steps.all()],
            sorted(lv.code for lv in v.levels.all()),
            sorted(a.code for a in v.agencies.all()),
        )

    assert parts(v2) == parts(old)
    assert parts(v2)[5] == ["000.00.06.H99"] and len(parts(v2)[3]) == 4
    assert not set(v2.components.values_list("pk", flat=True)) & set(old.components.values_list("pk", flat=True))
    # Dossiers received now still get version 1; from the new date on, version 2.
    assert Procedure.objects.get(code="1.001193").version_on(today()) == old
    assert Procedure.objects.get(code="1.001193").version_on(start) == v2


def test_action_needs_exactly_one_version(staff, v1):
    v2 = new_version(v1, today() + dt.timedelta(days=5))
    r = staff.post(CHANGELIST, {"action": "create_new_version", "_selected_action": [v1.pk, v2.pk]}, follow=True)
    assert "Hãy chọn đúng một phiên bản" in text(r)
    assert ProcedureVersion.objects.count() == 2


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("", "Hãy nhập ngày hiệu lực"),
        ("31/02/2030", "Ngày hiệu lực không hợp lệ"),
        ("ngày mai", "Ngày hiệu lực không hợp lệ"),
        ("yesterday", "đã qua"),
        ("2025-07-01", "phiên bản mới phải có ngày hiệu lực sau ngày đó"),
        ("2025-06-01", "đã qua"),
    ],
)
def test_bad_dates_give_a_vietnamese_error(staff, v1, value, fragment):
    if value == "yesterday":
        value = ddmmyyyy(today() - dt.timedelta(days=1))
    before = snapshot(v1)
    r = staff.post(new_version_url(v1), {"effective_from": value})
    assert r.status_code == 200
    page = text(r)
    assert fragment in page and 'class="error"' in page  # an admin error message
    assert ProcedureVersion.objects.count() == 1 and snapshot(v1) == before


def test_new_version_must_start_after_every_existing_version(staff, v1):
    v2 = new_version(v1, today() + dt.timedelta(days=20))
    r = staff.post(new_version_url(v1), {"effective_from": ddmmyyyy(today() + dt.timedelta(days=10))})
    assert r.status_code == 200 and "đã có phiên bản 2 hiệu lực từ" in text(r)
    assert ProcedureVersion.objects.get(pk=v1.pk).effective_until == v2.effective_from - dt.timedelta(days=1)
    # Copying an older version after the latest one is fine: number 3, version 2 closes.
    later = today() + dt.timedelta(days=30)
    assert staff.post(new_version_url(v1), {"effective_from": ddmmyyyy(later)}).status_code == 302
    v3 = ProcedureVersion.objects.get(number=3)
    assert v3.name == v1.name
    assert ProcedureVersion.objects.get(pk=v2.pk).effective_until == later - dt.timedelta(days=1)
    assert ProcedureVersion.objects.get(pk=v1.pk).effective_until == v2.effective_from - dt.timedelta(days=1)


def test_new_version_page_for_a_missing_version_redirects(staff, v1):
    r = staff.get(f"{CHANGELIST}999999/phien-ban-moi/")
    assert r.status_code == 302


def test_new_version_needs_add_permission(client, demo_org, demo_password, v1):
    client.login(username="thanhtra", password=demo_password)  # inspector: may view, not add
    r = client.post(new_version_url(v1), {"effective_from": ddmmyyyy(today() + dt.timedelta(days=3))})
    assert r.status_code == 403
    page = text(client.get(change_url(v1)))
    assert new_version_url(v1) not in page
    assert "create_new_version" not in text(client.get(CHANGELIST))
    assert ProcedureVersion.objects.count() == 1


# --- The service -----------------------------------------------------------------------------


def test_new_version_hash_matches_publishing(v1):
    v2 = new_version(v1, today() + dt.timedelta(days=3))
    assert v2.content_hash and v2.content_hash != v1.content_hash
    # Re-importing the new version's own export is recognised as unchanged.
    doc = json.loads(export_json(ProcedureVersion.objects.filter(pk=v2.pk)))
    assert import_file("tt.json", json.dumps(doc).encode()).unchanged == 1


def test_new_version_service_rejects_bad_dates_without_changes(v1):
    before = snapshot(v1)
    for bad in (v1.effective_from, today() - dt.timedelta(days=1)):
        with pytest.raises(CatalogError):
            new_version(v1, bad)
    with pytest.raises(CatalogError):
        new_version(v1, "2030-01-01")
    assert ProcedureVersion.objects.count() == 1 and snapshot(v1) == before


def test_new_version_service_is_atomic(v1):
    """A failure after the previous version was closed and the copy half made leaves nothing."""
    before = snapshot(v1)

    def fail_on_steps(execute, sql, params, many, context):
        if "INSERT" in sql.upper() and ProcessStep._meta.db_table in sql:
            raise DatabaseError("simulated failure while copying steps")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_steps), pytest.raises(DatabaseError):
        new_version(v1, today() + dt.timedelta(days=3))
    assert ProcedureVersion.objects.count() == 1
    assert Component.objects.count() == 2 and ProcessStep.objects.count() == 4
    assert snapshot(v1) == before and before[2] is None  # version 1 still open-ended
    # And it works once the failure is gone.
    assert new_version(v1, today() + dt.timedelta(days=3)).number == 2
