"""CSRF: forms refuse a POST without the token, for staff and for citizens; the only exempt view is the
payment gateway's signed callback; htmx requests carry the token (static js/motcua.js)."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .conftest import PDF

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def refused_without_token(user, url, data):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    r = strict.post(url, data)
    assert r.status_code == 403, (url, r.status_code)
    assert "tải lại trang" in r.content.decode()  # the Vietnamese page, not Django's English one
    # The same client passes once it sends the token it was given (cookie + field).
    strict.get(url if not url.endswith("/tai-len/") else "/cong-dan/kho-du-lieu/")
    token = strict.cookies["csrftoken"].value
    return strict, token


def test_staff_form_without_token_is_refused(users):
    url = "/can-bo/tiep-nhan/"
    strict, token = refused_without_token(users["motcua.xa"], url, {"procedure": "1.001193", "action": "receive"})
    r = strict.post(url, {"procedure": "1.001193", "action": "receive", "csrfmiddlewaretoken": token})
    assert r.status_code != 403
    note = strict.post("/can-bo/hop-viec/bo-loc/", {"name": "x"})  # another staff form, no token
    assert note.status_code == 403


def test_citizen_form_without_token_is_refused(citizen):
    url = "/cong-dan/kho-du-lieu/tai-len/"
    strict, token = refused_without_token(citizen, url, {"title": "Bằng", "file": SimpleUploadedFile("a.pdf", PDF)})
    ok = strict.post(url, {"title": "Bằng", "file": SimpleUploadedFile("a.pdf", PDF), "csrfmiddlewaretoken": token})
    assert ok.status_code in (200, 302)
    header = strict.post(
        url, {"title": "Bằng", "file": SimpleUploadedFile("b.pdf", PDF + b"%2")}, HTTP_X_CSRFTOKEN=token
    )
    assert header.status_code in (200, 302)  # what htmx sends (js/motcua.js)


def test_only_the_signed_payment_callback_is_csrf_exempt():
    exempt = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "motcua").rglob("*.py")
        if re.search(r"^\s*@csrf_exempt|csrf_exempt\(", p.read_text(encoding="utf-8"), re.M)
    )
    # payments.views.callback: server-to-server, HMAC-SHA256 signature + timestamp window (gateway.verify).
    assert exempt == ["motcua/payments/views.py"]


def test_htmx_requests_send_the_token():
    js = (ROOT / "motcua/static/js/motcua.js").read_text()
    assert "htmx:configRequest" in js and "X-CSRFToken" in js
    base = (ROOT / "motcua/templates/base.html").read_text()
    assert "js/motcua.js" in base and '"allowEval": false' in base
