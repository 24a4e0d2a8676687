"""NUL (U+0000) in a path, a query parameter or a form field: a 400 with a Vietnamese message (structured on
the API), never a 500 — PostgreSQL text cannot hold it (found by an exploratory schemathesis run:
``GET /api/v1/dossiers/book.pdf?agency=%00`` was a DataError). Files are binary and are not refused for it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from motcua.dossiers.models import Dossier
from tests.intake.test_intake import URL, form

from .conftest import PDF

pytestmark = pytest.mark.django_db


def refused_page(r):
    assert r.status_code == 400, r.status_code
    body = r.content.decode()
    assert "ký tự không hợp lệ" in body
    assert "Content-Security-Policy" in r.headers  # the refusal went back through the middleware


def refused_api(r):
    assert r.status_code == 400, r.status_code
    error = r.json()["error"]
    assert error["code"] == "invalid_characters" and "ký tự không hợp lệ" in error["message"]


def test_public_pages_refuse_nul_in_the_path_and_the_query(client, province):
    refused_page(client.get("/tra-cuu/%00/"))
    refused_page(client.get("/thu-tuc/", {"q": "khai\x00sinh"}))
    refused_page(client.get("/thu-tuc/", {"q\x00": "x"}))
    assert client.get("/thu-tuc/", {"q": "khai sinh"}).status_code == 200


def test_api_refuses_nul_with_a_structured_error(client, users):
    refused_api(client.get("/api/v1/public/dossiers/000.00.00.H99%00"))
    staff = APIClient()
    staff.force_authenticate(users["motcua.xa"])
    refused_api(staff.get("/api/v1/dossiers/book.pdf", {"agency": "\x1a,q\x00"}))
    refused_api(staff.get("/api/v1/dossiers/", {"q": "\x00"}))


def test_a_form_with_nul_writes_nothing_and_a_file_with_nul_bytes_is_accepted(client, users):
    client.force_login(users["motcua.xa"])
    before = Dossier.objects.count()
    refused_page(client.post(URL, form(name="Nguyễn\x00Văn An", provided=["TP01", "TP02"])))
    assert Dossier.objects.count() == before
    upload = SimpleUploadedFile("giay-to.pdf", PDF + b"\n%\x00\x00\n", content_type="application/pdf")
    r = client.post(URL, form(provided=["TP01", "TP02"], file_TP01=upload))
    assert r.status_code != 400 or "ký tự không hợp lệ" not in r.content.decode()
