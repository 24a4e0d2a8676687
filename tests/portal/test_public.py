"""Public portal pages (no login): home, catalog search, procedure page, desk map, tracking, QR."""

import io
import re

import pytest
import segno
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.catalog.models import Component
from motcua.catalog.services import _clear_versions, version_in_force
from motcua.dossiers.services import create_dossier
from motcua.engagement.models import ServiceGroup
from motcua.engagement.services import issue_ticket
from motcua.org.models import Desk
from motcua.portal import public

pytestmark = pytest.mark.django_db


def _dossier(users, procedure_code="1.001193", name="Nguyễn Văn An"):
    dossier, _ = create_dossier(
        user=users["motcua.xa"],
        procedure_code=procedure_code,
        channel="counter",
        desk_code="MC-99001",
        applicant={"name": name, "id_number": "001085012345"},
        components=["TP01", "TP02"],
    )
    return dossier


def _text(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------------------------------------
# Home
# ------------------------------------------------------------------------------------------------
def test_home_is_public_and_links_everywhere(client, province):
    r = client.get("/")
    assert r.status_code == 200
    html = _text(r)
    assert '<html lang="vi">' in html
    assert 'action="/thu-tuc/"' in html and 'name="q"' in html
    for href in ("/tra-cuu/", "/ban-do-mot-cua/", "/cong-dan/dang-nhap/", "/thu-tuc/?thiet_yeu=1"):
        assert f'href="{href}"' in html
    assert "Nhóm 25 dịch vụ công thiết yếu: 27 thủ tục" in html
    assert "Chưa có số liệu" in html  # no dossier yet


def test_home_lists_the_most_used_procedures_from_one_cached_query(client, users, django_assert_max_num_queries):
    for _ in range(2):
        _dossier(users)
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        popular = public.popular_procedures()
    aggregates = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(aggregates) == 1 and len(ctx.captured_queries) == 2  # the count, then the names
    assert popular == [{"code": "1.001193", "name": "Đăng ký khai sinh", "essential": True, "count": 2}]

    with django_assert_max_num_queries(2):  # popular list cached; the essential count; the session-less page
        html = _text(client.get("/"))
    assert 'href="/thu-tuc/1.001193/"' in html and "(2 hồ sơ)" in html and "Chưa có số liệu" not in html


def test_staff_home_moved_to_can_bo(client, demo_org):
    r = client.get("/can-bo/")
    assert r.status_code == 302 and r["Location"].startswith("/dang-nhap/")


# ------------------------------------------------------------------------------------------------
# Catalog search
# ------------------------------------------------------------------------------------------------
def test_search_ignores_diacritics_and_counts(client, province):
    r = client.get("/thu-tuc/", {"q": "dang ky khai sinh"})
    assert r.status_code == 200
    html = _text(r)
    assert re.search(r"Tìm thấy <strong>\d+</strong> thủ tục", html)
    first = re.search(r'class="mc-result__title"><a class="usa-link" href="([^"]+)">([^<]+)<', html)
    assert first.groups() == ("/thu-tuc/1.001193/", "Đăng ký khai sinh")
    assert 'value="dang ky khai sinh"' in html


def test_search_by_diacritics_too_and_nothing_found(client, province):
    assert "Đăng ký khai sinh" in _text(client.get("/thu-tuc/", {"q": "Đăng ký khai sinh"}))
    html = _text(client.get("/thu-tuc/", {"q": "khong co thu tuc nay xyz"}))
    assert "Tìm thấy <strong>0</strong> thủ tục" in html and "Không tìm thấy thủ tục phù hợp" in html


def test_filters(client, province):
    html = _text(client.get("/thu-tuc/", {"online_level": "none"}))
    names = re.findall(r'class="mc-result__title"><a [^>]+>([^<]+)<', html)
    assert names and "Chứng thực chữ ký trong các giấy tờ, văn bản" in names
    assert "Đăng ký khai sinh" not in names and "Trực tuyến toàn trình" not in html

    html = _text(client.get("/thu-tuc/", {"field": "HO_TICH", "level": "commune"}))
    names = re.findall(r'class="mc-result__title"><a [^>]+>([^<]+)<', html)
    assert "Đăng ký khai sinh" in names and "Đăng ký thường trú" not in names

    html = _text(client.get("/thu-tuc/", {"agency": "000.00.21.H99"}))
    names = re.findall(r'class="mc-result__title"><a [^>]+>([^<]+)<', html)
    assert "Cấp, cấp lại, sửa đổi, bổ sung hộ chiếu phổ thông" in names and "Đăng ký khai sinh" not in names

    html = _text(client.get("/thu-tuc/", {"thiet_yeu": "1"}))
    assert "Tìm thấy <strong>27</strong> thủ tục thuộc nhóm dịch vụ công thiết yếu" in html
    assert "Chứng thực chữ ký" not in html

    # An unknown online level is ignored, not an error.
    assert client.get("/thu-tuc/", {"online_level": "x"}).status_code == 200


def test_pagination_keeps_the_filters(client, province):
    html = _text(client.get("/thu-tuc/"))
    assert "Trang 1/3" in html and 'href="?page=2"' in html
    html = _text(client.get("/thu-tuc/", {"level": "province", "page": "2"}))
    assert "Trang 2/" in html and 'href="?level=province&amp;page=1"' in html


def test_htmx_request_gets_the_results_only(client, province):
    r = client.get("/thu-tuc/", {"q": "ket hon"}, HTTP_HX_REQUEST="true")
    html = _text(r)
    assert r.status_code == 200 and "<html" not in html and "Đăng ký kết hôn" in html


def test_catalog_query_count_is_bounded(client, province, django_assert_max_num_queries):
    # count + page + levels prefetch + fields, levels, agencies of the filters (+ the agency filter)
    with django_assert_max_num_queries(7):
        assert client.get("/thu-tuc/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/thu-tuc/", {"q": "dang ky", "agency": "000.00.21.H99", "page": "1"}).status_code == 200


# ------------------------------------------------------------------------------------------------
# Procedure page
# ------------------------------------------------------------------------------------------------
def test_procedure_page(client, province):
    r = client.get("/thu-tuc/1.001193/")
    assert r.status_code == 200
    html = _text(r)
    assert "<h1>Đăng ký khai sinh</h1>" in html
    for text in (
        "1.001193",
        "Hộ tịch",
        "Cấp xã",
        "UBND cấp xã",
        "3 ngày làm việc",
        "Toàn trình",
        "Tờ khai đăng ký khai sinh theo mẫu",
        "<strong>Bắt buộc</strong>",
        "Không bắt buộc (nếu có)",
        "Số lượng: 1 bản",
        "Mẫu: Mẫu tờ khai đăng ký khai sinh (Thông tư 04/2020/TT-BTP)",
        "Giấy khai sinh",
        "Lệ phí đăng ký khai sinh",
        "8.000 đồng",
        "Miễn – Đăng ký đúng hạn: Miễn lệ phí đăng ký khai sinh đúng hạn",
        "Luật Hộ tịch 2014",
        "Bộ phận Một cửa",
        "Thứ Hai – Thứ Sáu: 07:00–11:30, 13:30–17:00",
    ):
        assert text in html, text
    assert 'href="/cong-dan/nop-ho-so/1.001193/"' in html and "Nộp hồ sơ trực tuyến" in html


def test_procedure_page_fees_reductions_and_listed_agency(client, province):
    html = _text(client.get("/thu-tuc/1.010052/"))
    assert "50.000 đồng" in html and "Giảm 50% – Nộp hồ sơ trực tuyến: Giảm 50% khi nộp hồ sơ trực tuyến" in html
    # Listed agency (provincial police): its desk is the provincial service centre.
    assert "Trung tâm Phục vụ hành chính công tỉnh An Hòa" in html


def test_procedure_without_online_service_has_no_submit_button(client, province):
    html = _text(client.get("/thu-tuc/2.000884/"))
    assert "/cong-dan/nop-ho-so/" not in html and "chưa cung cấp dịch vụ công trực tuyến" in html


def test_procedure_template_file_is_downloadable(client, province):
    component = Component.objects.get(version=version_in_force("1.001193", timezone.localdate()), code="TP01")
    component.template_file.save("to-khai-khai-sinh.docx", ContentFile(b"mau"), save=True)
    _clear_versions()  # the page reads the cached version in force
    html = _text(client.get("/thu-tuc/1.001193/"))
    assert re.search(r'href="[^"]*to-khai-khai-sinh[^"]*\.docx" download>Tải mẫu: Mẫu tờ khai', html)


def test_unknown_procedure_is_404_with_message(client, province):
    for code in ("9.999999", "khong-phai-ma"):
        r = client.get(f"/thu-tuc/{code}/")
        assert r.status_code == 404 and "Không tìm thấy thủ tục" in _text(r)


# ------------------------------------------------------------------------------------------------
# Desk map and queue lengths
# ------------------------------------------------------------------------------------------------
def test_map_lists_desks_with_live_queue(client, users, settings, django_assert_max_num_queries):
    desk = Desk.objects.get(code="MC-99001")
    group = ServiceGroup.objects.create(desk=desk, letter="A", name="Hộ tịch")
    for _ in range(3):
        issue_ticket(desk, group)
    assert public.queue_lengths() == {desk.pk: 3}

    settings.MAP_TILE_URL = "https://tiles.example.vn/{z}/{x}/{y}.png"
    with django_assert_max_num_queries(4):  # desks, their served agencies, the queue, (session)
        r = client.get("/ban-do-mot-cua/")
    html = _text(r)
    assert r.status_code == 200
    assert "vendor/leaflet/leaflet.js" in html and "https://tiles.example.vn/{z}/{x}/{y}.png" in html
    assert "Trung tâm Phục vụ hành chính công tỉnh An Hòa" in html and "25 Đại lộ Hùng Vương" in html
    item = re.search(r'<li data-desk="MC-99001">.*?</li>', html, re.S).group(0)
    assert '<strong class="mc-waiting">3</strong>' in item and "07:00–11:30" in item
    config = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert '"code": "TTPVHCC"' in config and '"lat": 12.2451' in config

    body = client.get("/ban-do-mot-cua/hang-cho.json").json()
    assert body["desks"]["MC-99001"] == 3 and body["desks"]["TTPVHCC"] == 0
    assert re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", body["updated_label"])


def test_map_default_tiles(client, province, settings):
    if hasattr(settings, "MAP_TILE_URL"):
        del settings.MAP_TILE_URL
    html = _text(client.get("/ban-do-mot-cua/"))
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html and "OpenStreetMap" in html


# ------------------------------------------------------------------------------------------------
# Tracking
# ------------------------------------------------------------------------------------------------
def test_tracking_form_redirects_to_the_dossier_page(client, users):
    d = _dossier(users)
    assert client.get("/tra-cuu/").status_code == 200
    r = client.get("/tra-cuu/", {"ma": f"  {d.code} "})
    assert r.status_code == 302 and r["Location"] == f"/tra-cuu/{d.code}/"
    r = client.get("/tra-cuu/", {"ma": "<script>"})
    assert r.status_code == 400 and "Mã hồ sơ chỉ gồm chữ, số" in _text(r)


def test_tracking_shows_what_the_public_api_shows_with_the_name_masked(client, api_client, users):
    d = _dossier(users)
    r = client.get(f"/tra-cuu/{d.code}/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    html = _text(r)
    api = api_client.get(f"/api/v1/public/dossiers/{d.code}").json()
    assert api["applicant"] == "N***** V** An"
    assert "N***** V** An" in html and "Nguyễn Văn An" not in html and "001085012345" not in html
    assert api["state_label"] in html and api["agency"]["name"] in html and "Đăng ký khai sinh" in html
    assert d.received_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y") in html
    assert d.due_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y %H:%M") in html
    assert "Chưa trả" in html and "Tiếp nhận hồ sơ" in html
    assert f'src="/tra-cuu/{d.code}/qr.svg"' in html and f"http://testserver/tra-cuu/{d.code}/" in html


def test_tracking_keeps_the_signed_in_user(client, users, demo_password):
    d = _dossier(users)
    client.force_login(users["motcua.xa"])
    html = _text(client.get(f"/tra-cuu/{d.code}/"))
    assert "Đăng xuất" in html


def test_tracking_unknown_code_is_404_with_message(client, province):
    r = client.get("/tra-cuu/000.00.01.H99-250101-9999/")
    assert r.status_code == 404
    assert "Không tìm thấy hồ sơ có mã 000.00.01.H99-250101-9999" in _text(r)


def test_tracking_is_rate_limited_like_the_api(client, users, settings):
    d = _dossier(users)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public_tracking": "2/min"}}
    assert client.get(f"/tra-cuu/{d.code}/").status_code == 200
    assert client.get(f"/tra-cuu/{d.code}/").status_code == 200
    r = client.get(f"/tra-cuu/{d.code}/")
    assert r.status_code == 429 and "quá nhiều yêu cầu" in _text(r)


def test_slip_url_without_trailing_slash_redirects(client, users):
    d = _dossier(users)
    r = client.get(f"/tra-cuu/{d.code}")
    assert r.status_code == 301 and r["Location"] == f"/tra-cuu/{d.code}/"


def test_tracking_url_and_qr(client, users, settings):
    d = _dossier(users)
    assert public.tracking_url("https://dichvucong.anhoa.gov.vn/", d.code) == (
        f"https://dichvucong.anhoa.gov.vn/tra-cuu/{d.code}/"
    )
    settings.MOTCUA_PUBLIC_URL = "https://dvc.example.vn"
    assert public.tracking_url(None, d.code) == f"https://dvc.example.vn/tra-cuu/{d.code}/"
    r = client.get(f"/tra-cuu/{d.code}/qr.svg")
    assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")
    svg = r.content.decode()
    assert svg.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "<path" in svg
    assert client.get("/tra-cuu/a%20b/qr.svg").status_code == 404


def test_qr_encodes_the_tracking_url(client, users):
    d = _dossier(users)
    expected = segno.make(f"http://testserver/tra-cuu/{d.code}/", error="m", micro=False)
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=4, border=2, omitsize=True, title=f"Mã QR tra cứu hồ sơ {d.code}")
    assert client.get(f"/tra-cuu/{d.code}/qr.svg").content == out.getvalue()
