"""Catalog validation and versioned publishing (all-or-nothing)."""

import datetime as dt
from decimal import Decimal

import pytest

from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import CatalogError, check_budgets, publish_all

pytestmark = pytest.mark.django_db


def test_publish_creates_version_with_children(demo_org, procedure_data):
    outcome = publish_all([procedure_data])
    assert outcome.created == 1
    v = ProcedureVersion.objects.get(procedure__code="1.001193")
    assert v.number == 1 and v.name == "Đăng ký khai sinh"
    assert [c.code for c in v.components.all()] == ["TP01", "TP02"]
    assert v.steps.count() == 4 and v.results.count() == 1 and v.fees.count() == 1
    assert [lv.code for lv in v.levels.all()] == ["commune"]
    assert v.time_limit_days == Decimal("3")
    assert v.search_text.startswith("dang ky khai sinh")


def test_republishing_same_content_is_a_no_op(demo_org, procedure_data):
    publish_all([procedure_data])
    outcome = publish_all([dict(procedure_data)])
    assert outcome.unchanged == 1
    assert ProcedureVersion.objects.count() == 1


def test_changed_content_makes_a_new_version_and_closes_the_old(demo_org, procedure_data):
    publish_all([procedure_data])
    changed = dict(procedure_data, name="Đăng ký khai sinh (sửa đổi)", effective_from="2026-01-01")
    outcome = publish_all([changed])
    assert outcome.new_versions == 1
    v1, v2 = ProcedureVersion.objects.order_by("number")
    assert v1.effective_until == dt.date(2025, 12, 31)
    assert v2.number == 2
    procedure = Procedure.objects.get(code="1.001193")
    # A dossier received in 2025 keeps version 1; one received in 2026 gets version 2.
    assert procedure.version_on(dt.date(2025, 9, 1)) == v1
    assert procedure.version_on(dt.date(2026, 3, 1)) == v2


def test_new_version_must_start_after_the_current_one(demo_org, procedure_data):
    publish_all([procedure_data])
    changed = dict(procedure_data, name="Khác", effective_from="2025-07-01")
    with pytest.raises(CatalogError) as err:
        publish_all([changed])
    assert "phiên bản mới phải có ngày hiệu lực sau" in err.value.errors[0]


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.update(code="ABC"), "Mã thủ tục 'ABC' không đúng định dạng"),
        (lambda d: d.update(levels=["ward"]), "Cấp thực hiện không hợp lệ"),
        (lambda d: d.update(time_limit_days=2.3), "bội số của 0,5"),
        (lambda d: d.update(online_level="half"), "Mức độ trực tuyến không hợp lệ"),
        (lambda d: d.update(agencies=["000.00.99.H99"]), "Không tìm thấy cơ quan"),
        (lambda d: d.update(components=[]), "ít nhất một thành phần"),
        (lambda d: d["components"][1].update(code="TP01"), "bị trùng"),
        (lambda d: d["steps"][1].update(budget_days=3), "vượt thời hạn giải quyết"),
        (lambda d: d["steps"][2].update(order=5), "Thứ tự bước phải liên tục"),
        (lambda d: d["steps"][0].update(role="boss"), "Vai trò không hợp lệ"),
        (lambda d: d["fees"][0].update(exemptions=[{"condition": "rich", "percent": 5}]), "miễn, giảm không hợp lệ"),
        (lambda d: d.update(colour="red"), "trường không hợp lệ: colour"),
        (lambda d: d.update(effective_from="01/07/2025"), "Ngày hiệu lực không hợp lệ"),
    ],
)
def test_invalid_procedures_are_rejected_with_vietnamese_messages(demo_org, procedure_data, mutate, fragment):
    mutate(procedure_data)
    with pytest.raises(CatalogError) as err:
        publish_all([procedure_data])
    assert any(fragment in e for e in err.value.errors), err.value.errors
    assert ProcedureVersion.objects.count() == 0


def test_one_bad_procedure_rejects_the_whole_batch(demo_org, procedure_data):
    good = dict(procedure_data, code="1.000001")
    bad = dict(procedure_data, code="1.000002", online_level="x")
    with pytest.raises(CatalogError) as err:
        publish_all([good, bad])
    assert err.value.errors[0].startswith("Thủ tục thứ 2")
    assert Procedure.objects.count() == 0


def test_budget_rule():
    assert check_budgets(Decimal(3), [(Decimal("1.5"), False), (Decimal("1.5"), False)]) is None
    assert check_budgets(Decimal(3), [(Decimal("2"), False), (Decimal("1.5"), False)])
    # A parallel consultation runs alongside the sequence: it does not add to the total…
    assert check_budgets(Decimal(3), [(Decimal("3"), False), (Decimal("1"), True)]) is None
    # …but cannot exceed the legal limit on its own.
    assert check_budgets(Decimal(3), [(Decimal("1"), False), (Decimal("4"), True)])
    assert check_budgets(Decimal(0), [(Decimal(0), False)]) is None
