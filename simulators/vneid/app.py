"""VNeID simulator: an OpenID Connect provider (authorization code + PKCE S256, RS256-signed ID tokens).

Endpoints: ``/.well-known/openid-configuration``, ``/jwks.json``, ``/authorize`` (GET shows the login page,
POST checks it), ``/token``, ``/userinfo``, ``/health``. People come from the population generator
(``simulators.population.people``); the demo password of every living citizen is ``123456``.

OAuth ``error_description`` values are ASCII English, as RFC 6749 requires; pages shown to people are Vietnamese.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Flask, redirect, render_template, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from ..common import api_key_from_env, install, json_response
from ..population import people

DEMO_PASSWORD = "123456"
CODE_TTL = 60
TOKEN_TTL = 600
IDENTITY_LEVEL = 2
SCOPES = ("openid", "profile", "phone", "address")
DEFAULT_CLIENTS = "motcua:motcua-vneid-secret"
DEFAULT_REDIRECT_PREFIXES = ("http://localhost:", "http://127.0.0.1:")
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
PERSON_CLAIMS = (
    "sub",
    "citizen_id",
    "name",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "phone_number",
    "address",
    "identity_level",
)
MOBILE_PREFIXES = (
    *"032 033 034 035 036 037 038 039 070 076 077 078 079 081".split(),
    *"082 083 084 085 086 088 089 090 091 093 094 096 097 098".split(),
)

_CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER_RE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_ID_RE = re.compile(r"\d{12}")


def clients_from_env(value: str | None = None) -> list[dict]:
    """Clients from ``VNEID_CLIENTS`` (``id:secret`` pairs, comma-separated), each with the localhost prefixes."""
    if value is None:
        value = os.environ.get("VNEID_CLIENTS", DEFAULT_CLIENTS)
    clients = []
    for pair in value.split(","):
        client_id, sep, secret = pair.strip().partition(":")
        if client_id and sep and secret:
            clients.append(
                {
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uri_prefixes": list(DEFAULT_REDIRECT_PREFIXES),
                }
            )
    return clients


def subject(id_number: str) -> str:
    """The stable opaque ``sub`` of a citizen."""
    return hashlib.sha256(f"vneid-sub:{id_number}".encode()).hexdigest()[:32]


def phone_number(id_number: str) -> str:
    """A deterministic 10-digit Vietnamese mobile number for a citizen."""
    digest = int.from_bytes(hashlib.sha256(f"vneid-phone:{id_number}".encode()).digest()[:8], "big")
    prefix = MOBILE_PREFIXES[digest % len(MOBILE_PREFIXES)]
    return f"{prefix}{digest // len(MOBILE_PREFIXES) % 10_000_000:07d}"


def person_claims(person: dict) -> dict:
    """The identity claims of a population record (as in the ID token and at ``/userinfo``)."""
    family_name, _, given_name = person["full_name"].partition(" ")
    return {
        "sub": subject(person["id_number"]),
        "citizen_id": person["id_number"],
        "name": person["full_name"],
        "given_name": given_name,
        "family_name": family_name,
        "birthdate": person["date_of_birth"],
        "gender": person["sex"],
        "phone_number": phone_number(person["id_number"]),
        "address": {"formatted": person["permanent_residence"]["address"]},
        "identity_level": IDENTITY_LEVEL,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def load_key(key_path: str | os.PathLike | None = None) -> RSAKey:
    """An RSA 2048 signing key with ``kid`` = its JWK thumbprint; read from / saved to ``key_path`` if given."""
    path = Path(key_path) if key_path else None
    if path is not None and path.exists():
        pem = path.read_bytes()
    else:
        pem = RSAKey.generate_key(2048, private=True).as_pem(private=True)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pem)
            path.chmod(0o600)
    key = RSAKey.import_key(pem)
    return RSAKey.import_key(pem, parameters={"kid": key.thumbprint(), "use": "sig", "alg": "RS256"})


class _Store:
    """Authorization codes and access tokens, in memory under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}

    def _purge(self, now: float) -> None:
        for table in (self.codes, self.tokens):
            for key in [k for k, v in table.items() if v["expires_at"] <= now]:
                del table[key]

    def add_code(self, entry: dict) -> str:
        code = secrets.token_urlsafe(32)
        with self.lock:
            self._purge(time.time())
            self.codes[code] = entry
        return code

    def take_code(self, code: str) -> dict | None:
        """The code's entry, removing it (single use); None if unknown, used or expired."""
        with self.lock:
            entry = self.codes.pop(code, None)
        if entry is None or entry["expires_at"] <= time.time():
            return None
        return entry

    def add_token(self, entry: dict) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self._purge(time.time())
            self.tokens[token] = entry
        return token

    def token(self, token: str) -> dict | None:
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry["expires_at"] <= time.time():
            return None
        return entry


def _redirect_allowed(client: dict, uri: str) -> bool:
    if not uri or any(c in uri for c in " \t\r\n\\"):
        return False
    parts = urlsplit(uri)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port (e.g. "localhost:80.evil.example")
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or parts.fragment:
        return False
    return any(uri.startswith(prefix) for prefix in client["redirect_uri_prefixes"])


def _with_query(uri: str, **params) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _oauth_error(status: int, error: str, description: str, headers: dict | None = None):
    return json_response(
        {"error": error, "error_description": description},
        status,
        {"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def create_app(
    issuer: str | None = None,
    clients: list[dict] | None = None,
    population_size: int = people.DEFAULT_SIZE,
    key_path: str | os.PathLike | None = None,
    api_key: str | None = None,
) -> Flask:
    app = Flask(__name__)
    app.config["VNEID_CODE_TTL"] = CODE_TTL
    app.config["VNEID_TOKEN_TTL"] = TOKEN_TTL
    install(app, api_key=api_key_from_env(api_key), fault_paths=("/token", "/userinfo"))
    registered = {c["client_id"]: c for c in (clients if clients is not None else clients_from_env())}
    key = load_key(key_path)
    public_jwks = KeySet([key]).as_dict(private=False)
    store = _Store()
    app.extensions["vneid"] = {"key": key, "store": store, "clients": registered}

    def current_issuer() -> str:
        return (issuer or request.host_url).rstrip("/")

    def page(template: str, status: int = 200, **context):
        response = app.make_response((render_template(template, **context), status))
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.get("/.well-known/openid-configuration")
    def openid_configuration():
        base = current_issuer()
        return json_response(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks.json",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": list(SCOPES),
                "subject_types_supported": ["public"],
                "claims_supported": ["iss", "aud", "exp", "iat", "auth_time", "nonce", *PERSON_CLAIMS],
            }
        )

    @app.get("/jwks.json")
    def jwks():
        return json_response(public_jwks)

    @app.get("/health")
    def health():
        return json_response({"status": "ok", "population": population_size})

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        source = request.args if request.method == "GET" else request.form
        params = {name: source[name] for name in AUTHORIZE_PARAMS if source.get(name) is not None}
        client = registered.get(params.get("client_id", ""))
        if client is None:
            return page(
                "error.html",
                400,
                message="Ứng dụng yêu cầu đăng nhập chưa được đăng ký với VNeID (client_id không hợp lệ).",
            )
        redirect_uri = params.get("redirect_uri", "")
        if not _redirect_allowed(client, redirect_uri):
            return page(
                "error.html",
                400,
                message="Địa chỉ chuyển hướng (redirect_uri) không được phép đối với ứng dụng này.",
            )
        state = params.get("state")

        def back(**result):
            return redirect(_with_query(redirect_uri, **result, state=state), 302)

        if params.get("response_type") != "code":
            return back(error="invalid_request", error_description="response_type must be code")
        if "openid" not in params.get("scope", "").split():
            return back(error="invalid_scope", error_description="scope must contain openid")
        if params.get("code_challenge_method") != "S256":
            return back(error="invalid_request", error_description="code_challenge_method must be S256")
        if not _CHALLENGE_RE.fullmatch(params.get("code_challenge", "")):
            return back(error="invalid_request", error_description="code_challenge must be a base64url SHA-256")

        if request.method == "GET":
            return page("login.html", client_id=client["client_id"], params=params, id_number="", error=None)
        if request.form.get("action") == "cancel":
            return back(error="access_denied", error_description="The user cancelled the sign-in")

        id_number = request.form.get("id_number", "").strip()
        password = request.form.get("password", "")
        person = None
        if not _ID_RE.fullmatch(id_number):
            error = "Số định danh cá nhân phải gồm đúng 12 chữ số."
        else:
            person = people.lookup(id_number, size=population_size)
            if person is None or not hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode()):
                error = "Số định danh cá nhân hoặc mật khẩu không đúng."
                person = None
            elif person["status"] != "alive":
                error = "Tài khoản định danh điện tử của công dân này không còn hiệu lực."
                person = None
            else:
                error = None
        if person is None:
            return page("login.html", client_id=client["client_id"], params=params, id_number=id_number, error=error)

        now = time.time()
        scope = " ".join(s for s in dict.fromkeys(params["scope"].split()) if s in SCOPES)
        code = store.add_code(
            {
                "client_id": client["client_id"],
                "redirect_uri": redirect_uri,
                "code_challenge": params["code_challenge"],
                "nonce": params.get("nonce"),
                "scope": scope,
                "id_number": id_number,
                "auth_time": int(now),
                "expires_at": now + app.config["VNEID_CODE_TTL"],
            }
        )
        return back(code=code)

    def authenticate_client():
        """The client of a token request, or an error response."""
        form = request.form
        header = request.headers.get("Authorization")
        if header:
            auth = request.authorization
            if auth is None or auth.type != "basic":
                return None, _oauth_error(401, "invalid_client", "Unsupported client authentication")
            if form.get("client_secret") is not None:
                return None, _oauth_error(400, "invalid_request", "Use only one client authentication method")
            client_id, secret = auth.username or "", auth.password or ""
            if form.get("client_id") not in (None, client_id, unquote_plus(client_id)):
                return None, _oauth_error(400, "invalid_request", "client_id does not match the credentials")
            candidates = {(client_id, secret), (unquote_plus(client_id), unquote_plus(secret))}
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
            if not client_id or secret is None:
                return None, _oauth_error(
                    401, "invalid_client", "Client authentication required", {"WWW-Authenticate": 'Basic realm="VNeID"'}
                )
            candidates = {(client_id, secret)}
        for cid, csecret in candidates:
            client = registered.get(cid)
            if client and hmac.compare_digest(csecret.encode(), client["client_secret"].encode()):
                return client, None
        return None, _oauth_error(
            401, "invalid_client", "Client authentication failed", {"WWW-Authenticate": 'Basic realm="VNeID"'}
        )

    @app.post("/token")
    def token():
        client, problem = authenticate_client()
        if problem is not None:
            return problem
        form = request.form
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant_type != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", "Only authorization_code is supported")
        code = form.get("code")
        if not code:
            return _oauth_error(400, "invalid_request", "code is required")
        entry = store.take_code(code)
        if entry is None:
            return _oauth_error(400, "invalid_grant", "The code is invalid, expired or already used")
        if entry["client_id"] != client["client_id"]:
            return _oauth_error(400, "invalid_grant", "The code was issued to another client")
        if form.get("redirect_uri") != entry["redirect_uri"]:
            return _oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER_RE.fullmatch(verifier) or not hmac.compare_digest(s256(verifier), entry["code_challenge"]):
            return _oauth_error(400, "invalid_grant", "PKCE verification failed")
        person = people.lookup(entry["id_number"], size=population_size)
        if person is None or person["status"] != "alive":
            return _oauth_error(400, "invalid_grant", "The citizen is no longer valid")

        now = int(time.time())
        ttl = app.config["VNEID_TOKEN_TTL"]
        access_token = store.add_token(
            {
                "id_number": entry["id_number"],
                "client_id": client["client_id"],
                "scope": entry["scope"],
                "expires_at": now + ttl,
            }
        )
        claims = {
            "iss": current_issuer(),
            "aud": client["client_id"],
            "iat": now,
            "exp": now + ttl,
            "auth_time": entry["auth_time"],
            "at_hash": _b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16]),
        }
        if entry["nonce"] is not None:
            claims["nonce"] = entry["nonce"]
        claims.update(person_claims(person))
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=["RS256"])
        return json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "id_token": id_token,
                "scope": entry["scope"],
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo():
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        entry = store.token(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
        person = people.lookup(entry["id_number"], size=population_size) if entry else None
        if person is None:
            return json_response(
                {"error": "invalid_token", "error_description": "The access token is invalid or expired"},
                401,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return json_response(person_claims(person), headers={"Cache-Control": "no-store"})

    return app
