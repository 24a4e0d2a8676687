"""VNeID simulator: OpenID Connect authorization code flow with PKCE over real HTTP."""

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from simulators.vneid import app as vneid

CLIENT_ID = "motcua"
SECRET = "test-secret"
REDIRECT_URI = "http://127.0.0.1:8000/dang-nhap/vneid/callback"
AN = "001085012345"


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden = {}
        self.labels = []
        self.buttons = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.hidden[attrs["name"]] = attrs.get("value", "")
        if tag in ("label", "button"):
            self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "label":
            self.labels.append(data.strip())
        elif self._in == "button":
            self.buttons.append(data.strip())


def parse_form(html):
    form = _Form()
    form.feed(html)
    return form


@pytest.fixture(scope="module")
def server():
    from simulators.common import serve_in_thread

    client = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "redirect_uri_prefixes": ["http://127.0.0.1:", "http://localhost:"],
    }
    app = vneid.create_app(clients=[client])
    url, stop = serve_in_thread(app)
    yield url, app
    stop()


@pytest.fixture
def base_url(server):
    return server[0]


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge, **extra):
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile phone address",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def login(base_url, id_number=AN, password="123456", **extra):
    """GET /authorize, POST the form; returns (verifier, response of the POST)."""
    verifier, challenge = pkce()
    page = requests.get(f"{base_url}/authorize", params=authorize_params(challenge, **extra), timeout=5)
    assert page.status_code == 200, page.text
    fields = parse_form(page.text).hidden
    fields.update(id_number=id_number, password=password, action="login")
    response = requests.post(f"{base_url}/authorize", data=fields, allow_redirects=False, timeout=5)
    return verifier, response


def code_from(response):
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def exchange(base_url, code, verifier, auth=(CLIENT_ID, SECRET), **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    data.update(extra)
    return requests.post(f"{base_url}/token", data=data, auth=auth, timeout=5)


def test_discovery_and_jwks(base_url):
    config = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5).json()
    assert config["issuer"] == base_url
    assert config["authorization_endpoint"] == f"{base_url}/authorize"
    assert config["token_endpoint"] == f"{base_url}/token"
    assert config["userinfo_endpoint"] == f"{base_url}/userinfo"
    assert config["jwks_uri"] == f"{base_url}/jwks.json"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert set(config["scopes_supported"]) == {"openid", "profile", "phone", "address"}
    assert "citizen_id" in config["claims_supported"]
    keys = requests.get(config["jwks_uri"], timeout=5).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["kid"]
    assert "d" not in keys[0]


def test_login_page_is_vietnamese_and_accessible(base_url):
    _, challenge = pkce()
    page = requests.get(f"{base_url}/authorize", params=authorize_params(challenge), timeout=5)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert 'lang="vi"' in page.text
    assert "Đăng nhập bằng tài khoản định danh điện tử VNeID" in page.text
    form = parse_form(page.text)
    assert form.labels == ["Số định danh cá nhân", "Mật khẩu"]
    assert form.buttons == ["Đăng nhập", "Hủy"]
    assert 'for="id_number"' in page.text and 'name="password"' in page.text
    assert form.hidden["code_challenge"] == challenge and form.hidden["state"] == "st-123"
    assert "123456" in page.text


def test_full_flow(base_url):
    verifier, response = login(base_url)
    code = code_from(response)
    token_response = exchange(base_url, code, verifier)
    assert token_response.status_code == 200, token_response.text
    assert token_response.headers["Cache-Control"] == "no-store"
    tokens = token_response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600
    assert set(tokens["scope"].split()) == {"openid", "profile", "phone", "address"}

    jwks = KeySet.import_key_set(requests.get(f"{base_url}/jwks.json", timeout=5).json())
    token = jwt.decode(tokens["id_token"], jwks, algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["kid"] == jwks.keys[0].kid
    claims = token.claims
    assert claims["iss"] == base_url and claims["aud"] == CLIENT_ID and claims["nonce"] == "n-456"
    assert claims["citizen_id"] == AN
    assert claims["sub"] == hashlib.sha256(f"vneid-sub:{AN}".encode()).hexdigest()[:32]
    assert claims["name"] == "Nguyễn Văn An"
    assert (claims["family_name"], claims["given_name"]) == ("Nguyễn", "Văn An")
    assert claims["birthdate"] == "1985-03-12" and claims["gender"] == "male"
    assert len(claims["phone_number"]) == 10 and claims["phone_number"].startswith("0")
    assert claims["address"] == {"formatted": "Số 12, thôn 3, xã Tân Lập, tỉnh An Hòa"}
    assert claims["identity_level"] == 2
    assert claims["exp"] - claims["iat"] == 600 and claims["auth_time"] <= claims["iat"]
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base_url}, aud={"essential": True, "value": CLIENT_ID}
    )
    registry.validate(claims)

    info = requests.get(
        f"{base_url}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )
    assert info.status_code == 200
    expected = {k: claims[k] for k in vneid.PERSON_CLAIMS}
    assert info.json() == expected

    # The same person always gets the same sub and phone number.
    verifier, response = login(base_url)
    again = jwt.decode(exchange(base_url, code_from(response), verifier).json()["id_token"], jwks).claims
    assert (again["sub"], again["phone_number"]) == (claims["sub"], claims["phone_number"])


def test_client_secret_post(base_url):
    verifier, response = login(base_url, id_number="001090012345")
    token_response = exchange(
        base_url, code_from(response), verifier, auth=None, client_id=CLIENT_ID, client_secret=SECRET
    )
    assert token_response.status_code == 200, token_response.text


def test_wrong_verifier_is_invalid_grant(base_url):
    verifier, response = login(base_url)
    code = code_from(response)
    wrong = exchange(base_url, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = exchange(base_url, code_from(login(base_url)[1]), "")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"


def test_code_is_single_use(base_url):
    verifier, response = login(base_url)
    code = code_from(response)
    assert exchange(base_url, code, verifier).status_code == 200
    again = exchange(base_url, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch_and_expired_code(server):
    base_url, app = server
    verifier, response = login(base_url)
    other = exchange(base_url, code_from(response), verifier, redirect_uri="http://127.0.0.1:8000/other")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    app.config["VNEID_CODE_TTL"] = 0
    try:
        verifier, response = login(base_url)
        expired = exchange(base_url, code_from(response), verifier)
    finally:
        app.config["VNEID_CODE_TTL"] = vneid.CODE_TTL
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_client_authentication(base_url):
    verifier, response = login(base_url)
    code = code_from(response)
    wrong = exchange(base_url, code, verifier, auth=(CLIENT_ID, "wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = exchange(base_url, code, verifier, auth=("someone", SECRET))
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    none = exchange(base_url, code, verifier, auth=None)
    assert none.status_code == 401 and none.json()["error"] == "invalid_client"
    grant = exchange(base_url, code, verifier, grant_type="client_credentials")
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    "extra",
    [
        {"client_id": "unknown"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://localhost:@evil.example/callback"},
        {"redirect_uri": "http://localhost:8000.evil.example/callback"},
        {"redirect_uri": None},
    ],
)
def test_bad_client_or_redirect_uri_shows_a_page(base_url, extra):
    response = requests.get(
        f"{base_url}/authorize", params=authorize_params(pkce()[1], **extra), allow_redirects=False, timeout=5
    )
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"]
    assert "Yêu cầu đăng nhập không hợp lệ" in response.text
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "invalid_request"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
    ],
)
def test_bad_requests_redirect_with_an_error(base_url, extra, error):
    response = requests.get(
        f"{base_url}/authorize", params=authorize_params(pkce()[1], **extra), allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert query["error"] == [error] and query["state"] == ["st-123"] and query["error_description"]
    assert "code" not in query


@pytest.mark.parametrize(
    ("id_number", "password", "message"),
    [
        (AN, "wrong", "Số định danh cá nhân hoặc mật khẩu không đúng."),
        ("001085999999", "123456", "Số định danh cá nhân hoặc mật khẩu không đúng."),
        ("12345", "123456", "Số định danh cá nhân phải gồm đúng 12 chữ số."),
        ("079012345678", "123456", "Tài khoản định danh điện tử của công dân này không còn hiệu lực."),
    ],
)
def test_failed_login_shows_an_error(base_url, id_number, password, message):
    _, response = login(base_url, id_number=id_number, password=password)
    assert response.status_code == 200
    assert message in response.text
    assert 'role="alert"' in response.text
    assert "Location" not in response.headers
    assert parse_form(response.text).hidden["state"] == "st-123"


def test_cancel_is_access_denied(base_url):
    _, challenge = pkce()
    fields = parse_form(
        requests.get(f"{base_url}/authorize", params=authorize_params(challenge), timeout=5).text
    ).hidden
    response = requests.post(
        f"{base_url}/authorize", data={**fields, "action": "cancel"}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-123"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_userinfo_rejects_bad_tokens(base_url, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{base_url}/userinfo", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_fixed_issuer_and_persistent_key(tmp_path):
    from simulators.common import serve_in_thread

    key_path = tmp_path / "vneid-key.pem"
    first = vneid.create_app(issuer="https://vneid.example", key_path=key_path)
    second = vneid.create_app(issuer="https://vneid.example", key_path=key_path)
    assert key_path.exists()
    assert first.extensions["vneid"]["key"].kid == second.extensions["vneid"]["key"].kid
    url, stop = serve_in_thread(first)
    try:
        assert (
            requests.get(f"{url}/.well-known/openid-configuration", timeout=5).json()["issuer"]
            == "https://vneid.example"
        )
    finally:
        stop()


def test_clients_from_env(monkeypatch):
    monkeypatch.setenv("VNEID_CLIENTS", "a:one, b:two")
    clients = vneid.clients_from_env()
    assert [(c["client_id"], c["client_secret"]) for c in clients] == [("a", "one"), ("b", "two")]
    assert clients[0]["redirect_uri_prefixes"] == ["http://localhost:", "http://127.0.0.1:"]
    monkeypatch.delenv("VNEID_CLIENTS")
    assert vneid.clients_from_env()[0]["client_id"] == "motcua"
