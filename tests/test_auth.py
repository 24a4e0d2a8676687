"""Staff login, API tokens for staff, OAuth2 client credentials for machine clients."""

import pytest
from django.contrib.auth import get_user_model
from oauth2_provider.models import Application
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_staff_login_page(client, demo_org, demo_password):
    r = client.get("/dang-nhap/")
    assert r.status_code == 200 and "Đăng nhập dành cho cán bộ" in r.content.decode()
    r = client.post("/dang-nhap/", {"username": "motcua.xa", "password": "sai-mat-khau"})
    assert r.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng" in r.content.decode()
    r = client.post("/dang-nhap/", {"username": "motcua.xa", "password": demo_password})
    assert r.status_code == 302
    home = client.get("/can-bo/").content.decode()
    assert "Cán bộ một cửa" in home and "UBND phường Bình Minh" in home


def test_admin_is_in_vietnamese_for_catalog_admin(client, demo_org, demo_password):
    client.login(username="vanphong", password=demo_password)
    r = client.get("/admin/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Danh mục thủ tục hành chính" in html and "Lịch làm việc" in html
    assert client.get("/admin/catalog/procedureversion/").status_code == 200
    # A desk officer is not an admin-site user.
    client.logout()
    client.login(username="motcua.xa", password=demo_password)
    assert client.get("/admin/").status_code == 302


def test_import_page_requires_catalog_admin(client, demo_org, demo_password):
    client.login(username="motcua.xa", password=demo_password)
    assert client.get("/can-bo/thu-tuc/nhap/").status_code == 403
    client.logout()
    client.login(username="vanphong", password=demo_password)
    r = client.post("/can-bo/thu-tuc/nhap/", {"file": _upload("x.json", b"{bad")})
    assert r.status_code == 400 and "Tệp bị từ chối" in r.content.decode()


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_staff_api_token(api_client, demo_org):
    user = get_user_model().objects.get(username="chuyenvien.stp")
    token = Token.objects.create(user=user)
    assert api_client.get("/api/v1/me").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api_client.get("/api/v1/me").json()
    assert body == {
        "kind": "staff",
        "username": "chuyenvien.stp",
        "client_id": None,
        "roles": ["specialist"],
        "agencies": ["000.00.06.H99"],
        "scopes": [],
    }
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    r = api_client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_failed"


def test_machine_client_credentials(client, api_client, db):
    app = Application.objects.create(
        name="Hệ thống LGSP",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="s3cret-value-for-test",
        hash_client_secret=True,
    )
    r = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": "s3cret-value-for-test",
            "scope": "catalog:read",
        },
    )
    assert r.status_code == 200, r.content
    access = r.json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    body = api_client.get("/api/v1/me").json()
    assert body["kind"] == "client" and body["client_id"] == app.client_id and body["scopes"] == ["catalog:read"]
    bad = client.post(
        "/o/token/", {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "wrong"}
    )
    assert bad.status_code == 401


def test_openapi_schema_is_served(client, db):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "/api/v1/procedures/" in text and "/api/v1/calendar/due-date" in text
    assert client.get("/api/docs/").status_code == 200
