"""Security headers and the Content-Security-Policy on a public page, a staff page and an API response;
HTTPS-only settings driven by the environment; the deployment check against demo secrets."""

import os
import subprocess
import sys

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client

from motcua.common.checks import DEMO_SECRETS, demo_secrets_check

pytestmark = pytest.mark.django_db


def csp_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_hardened(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    csp = csp_of(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"])
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert any(s.startswith("http") for s in csp["img-src"])  # the desk map's tile server
    assert csp["form-action"][0] == "'self'"
    assert "Strict-Transport-Security" not in response  # plain http (the demo)
    return csp


def test_public_page(client, province):
    r = client.get("/")
    assert r.status_code == 200
    csp = assert_hardened(r)
    assert "http://127.0.0.1:8103" in csp["form-action"]  # the VNeID login redirects there after a form


def test_staff_page(client, users):
    client.force_login(users["motcua.xa"])
    r = client.get("/can-bo/hop-viec/")
    assert r.status_code == 200
    assert_hardened(r)


def test_api_response(client_for):
    r = client_for("motcua.xa").get("/api/v1/dossiers/")
    assert r.status_code == 200
    assert_hardened(r)
    from rest_framework.test import APIClient

    refused = APIClient().get("/api/v1/dossiers/")
    assert refused.status_code == 401
    assert_hardened(refused)


def test_swagger_ui_has_no_inline_script(client, users):
    client.force_login(users["motcua.xa"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html and "?script" in html  # the init script is its own file (CSP 'self')
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_https_settings_come_from_the_environment(client, province, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    r = client.get("/", secure=True)
    assert r["Strict-Transport-Security"].startswith("max-age=31536000")
    settings.SECURE_SSL_REDIRECT = True
    plain = Client().get("/")  # SecurityMiddleware reads its settings when a handler is built
    assert plain.status_code == 301 and plain["Location"].startswith("https://")


def test_https_is_off_by_default_and_on_by_environment():
    code = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )

    def run(**env):
        clean = {k: v for k, v in os.environ.items() if k not in env and not k.startswith("SECURE_")}
        out = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={**clean, "DJANGO_SETTINGS_MODULE": "motcua.settings", **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]

    assert run() == "False False False 0 None"
    on = dict(SECURE_SSL_REDIRECT="true", SESSION_COOKIE_SECURE="true", CSRF_COOKIE_SECURE="true")
    assert run(**on, SECURE_HSTS_SECONDS="63072000", SECURE_PROXY_SSL="true") == (
        "True True True 63072000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_demo_secrets_refused_only_by_check_deploy(settings):
    settings.DEBUG = False
    for name, demo in DEMO_SECRETS.items():
        setattr(settings, name, sorted(demo)[0])
    settings.SIGNING_DEMO_PKI = True
    ids = [e.id for e in demo_secrets_check()]
    assert ids.count("motcua.E001") == 7 and "motcua.E002" in ids
    messages = " ".join(e.msg for e in demo_secrets_check())
    assert "VNEID_CLIENT_SECRET" in messages and "SIGNING_P12_PASSWORD" in messages
    # Registered for --deploy only: the demo's ordinary checks (runserver, migrate) never see them.
    assert not [e for e in run_checks(include_deployment_checks=False) if e.id.startswith("motcua.")]
    assert {e.id for e in run_checks(include_deployment_checks=True)} >= {"motcua.E001", "motcua.E002"}
    call_command("check")  # no error without --deploy
    for name in ("NATIONAL_API_KEY", "NATIONAL_PORTAL_API_KEY", "PAYMENT_GATEWAY_API_KEY", "SMS_GATEWAY_API_KEY"):
        setattr(settings, name, "a-real-key-from-the-vault")
    settings.PAYMENT_GATEWAY_SECRET = settings.VNEID_CLIENT_SECRET = settings.SIGNING_P12_PASSWORD = "real"
    settings.SIGNING_DEMO_PKI = False
    assert demo_secrets_check() == []
    settings.DEBUG = True
    settings.SIGNING_DEMO_PKI = True
    assert demo_secrets_check() == []  # a developer's machine


def test_policy_follows_the_hosts_in_settings(client, province, settings):
    settings.VNEID_ISSUER = "https://sso.dancuquocgia.gov.vn/oidc"
    settings.PAYMENT_GATEWAY_URL = "https://thanhtoan.dichvucong.gov.vn:8443/api"
    settings.MAP_TILE_URL = "https://{s}.tiles.anhoa.gov.vn/{z}/{x}/{y}.png"
    csp = csp_of(client.get("/"))
    assert {"https://sso.dancuquocgia.gov.vn", "https://thanhtoan.dichvucong.gov.vn:8443"} <= set(csp["form-action"])
    assert "https://*.tiles.anhoa.gov.vn" in csp["img-src"] and "'self'" in csp["img-src"]
