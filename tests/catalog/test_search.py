"""Diacritics- and case-insensitive, ranked catalog search (service, API and staff page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.catalog.services import publish_all, search_versions
from motcua.common.text import fold
from motcua.org.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(demo_org, procedure_data):
    def variant(code, name, **extra):
        d = dict(procedure_data, code=code, name=name, **extra)
        return d

    publish_all(
        [
            variant("1.001193", "Đăng ký khai sinh"),
            variant(
                "1.000656", "Đăng ký khai sinh có yếu tố nước ngoài", levels=["district"], agency_kind="district_pc"
            ),
            variant("1.004837", "Đăng ký lại khai sinh"),
            variant(
                "2.000986",
                "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
                field_code="LLTP",
                field_name="Lý lịch tư pháp",
                levels=["province"],
                agency_kind="",
                agencies=["000.00.06.H99"],
                online_level="partial",
            ),
            variant(
                "1.002000",
                "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
                field_code="DUONG_BO",
                field_name="Đường bộ",
                levels=["province"],
                agency_kind="police",
                online_level="none",
            ),
        ]
    )


def names(qs):
    return [v.name for v in qs]


def test_fold():
    assert fold("ĐĂNG KÝ Khai Sinh") == "dang ky khai sinh"
    assert fold("Đổi giấy phép lái xe") == "doi giay phep lai xe"


def test_search_without_diacritics_finds_and_ranks(catalog):
    result = names(search_versions("dang ky khai sinh"))
    assert result[0] == "Đăng ký khai sinh"  # exact name first
    assert result[1] == "Đăng ký khai sinh có yếu tố nước ngoài"  # then name starting with the phrase
    assert "Đăng ký lại khai sinh" in result  # all words present, lower rank
    assert result.index("Đăng ký lại khai sinh") > 1


def test_d_with_stroke_folds_to_d(catalog):
    assert names(search_versions("doi giay phep")) == ["Đổi giấy phép lái xe do ngành Giao thông vận tải cấp"]
    assert names(search_versions("ĐỔI GIẤY")) == ["Đổi giấy phép lái xe do ngành Giao thông vận tải cấp"]


def test_search_by_code_and_field(catalog):
    assert names(search_versions("2.000986")) == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]
    assert names(search_versions("ly lich")) == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]


def test_filters(catalog):
    assert len(search_versions("", level="district")) == 1
    assert names(search_versions("", online_level="none")) == ["Đổi giấy phép lái xe do ngành Giao thông vận tải cấp"]
    assert names(search_versions("", field="LLTP")) == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]
    stp = Agency.objects.get(code="000.00.06.H99")
    assert names(search_versions("", agency=stp)) == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]
    commune = Agency.objects.get(code="000.01.31.H99")  # a commune People's Committee
    assert set(names(search_versions("khai sinh", agency=commune))) == {"Đăng ký khai sinh", "Đăng ký lại khai sinh"}


def test_api_search(catalog, api_client):
    r = api_client.get("/api/v1/procedures/", {"q": "dang ky khai sinh"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["code"] == "1.001193" and first["name"] == "Đăng ký khai sinh"
    assert first["levels"] == ["commune"] and first["online_level_label"] == "Toàn trình"


def test_api_list_has_no_n_plus_one(catalog, api_client):
    with CaptureQueriesContext(connection) as ctx:
        r = api_client.get("/api/v1/procedures/", {"q": "khai sinh"})
    assert r.status_code == 200
    assert len(ctx.captured_queries) <= 3  # count + page + prefetch levels


def test_api_detail_and_404(catalog, api_client):
    r = api_client.get("/api/v1/procedures/1.001193")
    assert r.status_code == 200
    assert [c["code"] for c in r.json()["components"]] == ["TP01", "TP02"]
    r = api_client.get("/api/v1/procedures/9.999999")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Không tìm thấy dữ liệu yêu cầu."


def test_api_bad_filters_are_400(catalog, api_client):
    r = api_client.get("/api/v1/procedures/", {"agency": "nope"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_agency"
    r = api_client.get("/api/v1/procedures/", {"online_level": "x"})
    assert r.status_code == 400


def test_staff_page_search(catalog, client, demo_password):
    client.login(username="motcua.xa", password=demo_password)
    r = client.get("/can-bo/thu-tuc/", {"q": "dang ky khai sinh"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Tìm thấy <strong>3</strong> thủ tục" in html
    assert html.index("Đăng ký khai sinh</a>") < html.index("Đăng ký lại khai sinh</a>")
    partial = client.get("/can-bo/thu-tuc/", {"q": "ly lich"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "lý lịch tư pháp" in partial.content.decode()


def test_staff_pages_need_login(client):
    r = client.get("/can-bo/thu-tuc/")
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]
