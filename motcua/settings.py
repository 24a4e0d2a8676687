"""MotCua settings: one file, configured only from environment variables (django-environ).

Embedded default: SQLite in ./var (WAL mode so the web server and the worker share it), local
files, in-process database task queue. Production: DATABASE_URL=postgres://..., SECRET_KEY, etc.
"""

import datetime
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MOTCUA_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]", "testserver"]),
)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept in var/ (demo only)."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=["http://localhost:8000"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "motcua.common",
    "motcua.integration",
    "motcua.reports",
    "motcua.org",
    "motcua.workcalendar",
    "motcua.catalog",
    "motcua.identity",
    "motcua.dossiers",
    "motcua.documents",
    "motcua.wallet",
    "motcua.engagement",
    "motcua.audit",
    "motcua.api",
    "motcua.backoffice",
    "motcua.portal",
    "motcua.payments",
    "motcua.signing",
    "motcua.accounts",
    "motcua.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "motcua.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After OTP (request.user.is_verified) and messages (the expiry notice): motcua.accounts.middleware.
    "motcua.accounts.middleware.SessionPolicyMiddleware",
    "motcua.accounts.middleware.StaffOTPMiddleware",
    # /can-bo/… is for staff: a logged-in citizen gets a 403 there (motcua.common.staffarea).
    "motcua.common.staffarea.StaffAreaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.common.headers.CSPMiddleware",  # django-csp, hosts from other settings read per request
    "motcua.common.headers.SecurityHeadersMiddleware",
    # process_view only: NUL in a path, query or form field is a 400, never a database error.
    "motcua.common.inputs.RefuseNulMiddleware",
    # Keep last: turns a locked-out login (django-axes) into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "motcua" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "motcua.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server and the worker read while the other writes;
            # IMMEDIATE makes write transactions take the lock up front (no upgrade deadlocks).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://motcua?max_entries=20000")}

# --- Background tasks (django-tasks, database backend: works on SQLite and PostgreSQL) -------
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

# --- Auth -----------------------------------------------------------------------------------
# Password rules with Vietnamese messages (motcua.accounts.passwords): ≥ 12 characters, ≥ 3 of the 4 kinds
# (lower, upper, digit, symbol), not common, not similar to the user, not only digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "motcua.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "motcua.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "motcua.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "motcua.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "motcua.accounts.passwords.NumericPasswordValidator"},
]
# django-axes first (refuses a locked-out username + address before any password check), then the usual.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"

# django-oauth-toolkit's (default) application model, named so that migrations of models pointing at it
# (motcua.api.ApiClient, ApiCall) can be made.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    # Machine clients (specialized systems, the provincial platform LGSP) use the client-credentials grant.
    # An application may ask only for the scopes its ApiClient grants (motcua.api.oauth); each endpoint
    # requires its scope of a machine client (motcua.api.permissions.ApiAccess).
    "SCOPES": {
        "catalog:read": "Đọc danh mục thủ tục hành chính",
        "calendar:read": "Tính hạn xử lý theo ngày làm việc",
        "dossiers:read": "Đọc hồ sơ của các cơ quan được phép (danh sách, chi tiết, phiếu, sổ theo dõi)",
        "dossiers:create": "Gửi hồ sơ trực tuyến (kể cả liên thông) cho các cơ quan được phép",
        "status:read": "Đọc trạng thái và lịch sử xử lý hồ sơ (không có dữ liệu cá nhân)",
        "results:read": "Đọc, tải kết quả giải quyết (giấy tờ điện tử đã ký số)",
    },
    "DEFAULT_SCOPES": ["catalog:read"],
    "SCOPES_BACKEND_CLASS": "motcua.api.oauth.ApiClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "motcua.api.oauth.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
}
# Requests per machine client when its ApiClient sets no rate (fixed window per client_id).
API_CLIENT_DEFAULT_RATE = env.str("API_CLIENT_DEFAULT_RATE", default="600/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: unauthenticated calls get 401 with WWW-Authenticate rather than 403.
        "rest_framework.authentication.TokenAuthentication",
        "motcua.api.authentication.ClientOAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Staff users, or machine clients holding the view's required_scopes (motcua.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["motcua.api.permissions.ApiAccess"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "motcua.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
    # Machine clients: their ApiClient.rate (or API_CLIENT_DEFAULT_RATE) per client_id. The public tracking
    # page sets its own throttle (per IP).
    "DEFAULT_THROTTLE_CLASSES": ["motcua.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"public_tracking": env.str("PUBLIC_TRACKING_RATE", default="120/min")},
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# Trusted reverse proxies in front of the app: rate limits key on REMOTE_ADDR (0), or on the address the
# n-th proxy from the right of X-Forwarded-For saw (n). Never trust a client-supplied X-Forwarded-For.
NUM_PROXIES = REST_FRAMEWORK["NUM_PROXIES"]
SPECTACULAR_SETTINGS = {
    "TITLE": "MotCua API",
    "DESCRIPTION": "API của hệ thống thông tin giải quyết thủ tục hành chính (MotCua).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI is served from our own static files (no CDN at run time).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalization -------------------------------------------------------------------
# Mail (citizens' account verification, notifications): the console in development.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cổng dịch vụ công <khong-tra-loi@motcua.local>")

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "motcua" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The desk scanners' upload folder: one sub-folder per desk code (documents.scanfolder).
SCAN_INBOX_DIR = Path(env.str("SCAN_INBOX_DIR", default=str(VAR_DIR / "scans")))
# Documents go to local files by default; S3-compatible object storage (MinIO, Viettel/VNPT/FPT
# cloud, AWS) when MEDIA_STORAGE=s3, configured with the S3_* variables (django-storages).
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
_S3_OPTIONS = {
    "bucket_name": env.str("S3_BUCKET", default="motcua"),
    "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
    "access_key": env.str("S3_ACCESS_KEY", default="") or None,
    "secret_key": env.str("S3_SECRET_KEY", default="") or None,
    "region_name": env.str("S3_REGION", default="") or None,
    "file_overwrite": False,
    "default_acl": None,
    "querystring_auth": True,
}
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _S3_OPTIONS}
        if MEDIA_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Province ------------------------------------------------------------------------------
# The province this deployment serves (administrative unit code); used by the calendar's office
# hours and the demo. Office hours and day-off decisions themselves are data (workcalendar admin).
MOTCUA_PROVINCE_CODE = env.str("MOTCUA_PROVINCE_CODE", default="99")

# The public address of the portal (QR codes on slips, links in mails) and the map tiles of the desk map.
MOTCUA_PUBLIC_URL = env.str("MOTCUA_PUBLIC_URL", default="http://localhost:8000")
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION", default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)

# National systems, reached only through the adapters in ``motcua.identity.adapters``. The defaults
# point at the simulators that ``scripts/run`` starts (``python -m simulators.run``); a deployment
# points them at the real endpoints (through the provincial integration platform, LGSP).
POPULATION_DB_URL = env.str("POPULATION_DB_URL", default="http://127.0.0.1:8101")
BUSINESS_REGISTRY_URL = env.str("BUSINESS_REGISTRY_URL", default="http://127.0.0.1:8102")
NATIONAL_API_KEY = env.str("NATIONAL_API_KEY", default="motcua-sim")
NATIONAL_TIMEOUT = env.float("NATIONAL_TIMEOUT", default=2.0)  # seconds per attempt (connect and read)
NATIONAL_RETRIES = env.int("NATIONAL_RETRIES", default=2)  # extra attempts on connection errors and 5xx
NATIONAL_CACHE_SECONDS = env.int("NATIONAL_CACHE_SECONDS", default=300)  # short: the national DB is the truth
# Payment platform (the national portal's payment gateway): HMAC-signed callbacks, reconciliation.
PAYMENT_GATEWAY_URL = env.str("PAYMENT_GATEWAY_URL", default="http://127.0.0.1:8104")
PAYMENT_GATEWAY_API_KEY = env.str("PAYMENT_GATEWAY_API_KEY", default="motcua-sim")
PAYMENT_GATEWAY_SECRET = env.str("PAYMENT_GATEWAY_SECRET", default="motcua-payment-demo-secret")
PAYMENT_GATEWAY_TIMEOUT = env.float("PAYMENT_GATEWAY_TIMEOUT", default=5.0)
PAYMENT_GATEWAY_RETRIES = env.int("PAYMENT_GATEWAY_RETRIES", default=2)
PAYMENT_CALLBACK_MAX_AGE = env.int("PAYMENT_CALLBACK_MAX_AGE", default=900)
PAYMENT_PUBLIC_URL = env.str("PAYMENT_PUBLIC_URL", default="")  # "" = the request's own host
# SMS gateway (notifications) and the notification outbox's retries.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="http://127.0.0.1:8105")
SMS_GATEWAY_API_KEY = env.str("SMS_GATEWAY_API_KEY", default="motcua-sim")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)
SMS_GATEWAY_RETRIES = env.int("SMS_GATEWAY_RETRIES", default=2)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_MAX_AGE_HOURS = env.int("NOTIFICATION_MAX_AGE_HOURS", default=48)  # older events notify nobody
# National Public Service Portal sync and webhooks, through the outbox (motcua.integration).
NATIONAL_PORTAL_SYNC = env.bool("NATIONAL_PORTAL_SYNC", default=True)
NATIONAL_PORTAL_URL = env.str("NATIONAL_PORTAL_URL", default="http://127.0.0.1:8106")
NATIONAL_PORTAL_API_KEY = env.str("NATIONAL_PORTAL_API_KEY", default="motcua-sim")
NATIONAL_PORTAL_TIMEOUT = env.float("NATIONAL_PORTAL_TIMEOUT", default=5.0)
NATIONAL_CATALOG_URL = env.str("NATIONAL_CATALOG_URL", default="http://127.0.0.1:8106")
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=500)  # messages claimed per round
OUTBOX_THREADS = env.int("OUTBOX_THREADS", default=8)  # dossiers sent in parallel (each in order)
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=60)  # a dead worker's claim ends then
OUTBOX_RETRY_BASE = env.float("OUTBOX_RETRY_BASE", default=2.0)  # seconds, doubled per attempt (±20 %)
OUTBOX_RETRY_MAX = env.float("OUTBOX_RETRY_MAX", default=3600.0)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=15)  # then the dead-letter list
# VNeID (OpenID Connect, authorization code + PKCE).
VNEID_ISSUER = env.str("VNEID_ISSUER", default="http://127.0.0.1:8103")
VNEID_CLIENT_ID = env.str("VNEID_CLIENT_ID", default="motcua")
VNEID_CLIENT_SECRET = env.str("VNEID_CLIENT_SECRET", default="motcua-vneid-secret")

# --- Signing (motcua.signing) -----------------------------------------------------------------
# PKCS#12 files and the demo CA live in SIGNING_PKI_DIR. With SIGNING_DEMO_PKI on, an agency without
# a configured certificate gets a demo one on first use (turn it off in production). Trust roots:
# PEM/DER files, comma-separated, relative to SIGNING_PKI_DIR (default: the demo root CA, only with the demo PKI).
SIGNING_PKI_DIR = Path(env.str("SIGNING_PKI_DIR", default=str(VAR_DIR / "pki")))
SIGNING_DEMO_PKI = env.bool("SIGNING_DEMO_PKI", default=True)
SIGNING_P12_PASSWORD = env.str("SIGNING_P12_PASSWORD", default="motcua-demo")
SIGNING_TRUST_ROOTS = env.list("SIGNING_TRUST_ROOTS", default=["root-ca.pem"] if SIGNING_DEMO_PKI else [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Security: staff authentication (motcua.accounts; django-otp, django-axes) -----------------
# (issue 10, part "auth")
# Every staff account (is_staff / is_superuser / an active StaffMembership) needs TOTP (django-otp) after the
# password: enrolment on first login (QR + backup codes), then a code at each login. Token / OAuth2 API
# calls are not session logins and are not affected.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=True)
STAFF_OTP_EXEMPT_PATHS = ["/o/token/", "/o/revoke_token/", "/o/introspect/"]  # + login/OTP/logout/static
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="MotCua An Hòa")
# Lockout (django-axes): 5 failures for one username from one address → locked 15 minutes (each further try
# during the lockout starts the 15 minutes again); a success resets the count. Admin: "Access attempts".
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "motcua.accounts.lockout.client_ip"  # REMOTE_ADDR or NUM_PROXIES, never raw XFF
AXES_LOCKOUT_CALLABLE = "motcua.accounts.lockout.lockout_response"
AXES_COOLOFF_MESSAGE = "Tài khoản tạm bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau."
AXES_PERMALOCK_MESSAGE = "Tài khoản bị khóa do đăng nhập sai nhiều lần. Liên hệ quản trị hệ thống để mở khóa."
AXES_VERBOSE = False
# Per-address fixed window on the login POSTs (staff, citizen, OTP step), on top of the per-user lockout.
LOGIN_RATE = env.str("LOGIN_RATE", default="20/min")
# Sessions: staff end after 30 min without a request and 10 h after login at the latest; citizens after
# 30 min idle (12 h at most). Cookies: HttpOnly, SameSite=Lax, gone when the browser closes.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=10 * 3600)
CITIZEN_SESSION_IDLE_SECONDS = env.int("CITIZEN_SESSION_IDLE_SECONDS", default=30 * 60)
CITIZEN_SESSION_MAX_SECONDS = env.int("CITIZEN_SESSION_MAX_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = max(STAFF_SESSION_MAX_SECONDS, CITIZEN_SESSION_MAX_SECONDS)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff accounts with no login for this many days are disabled (daily job "disable_idle_accounts"; refused at
# login before that). Superusers included; re-enable: admin ("active") or manage.py reactivate_account.
ACCOUNT_IDLE_DAYS = env.int("ACCOUNT_IDLE_DAYS", default=45)

# --- Security: headers, CSP, uploads, rate limits (issue 10, part "hardening") ----------------
from urllib.parse import urlsplit as _urlsplit  # noqa: E402

from csp.constants import NONCE as _NONCE  # noqa: E402
from csp.constants import NONE as _NONE  # noqa: E402
from csp.constants import SELF as _SELF  # noqa: E402
from csp.constants import UNSAFE_INLINE as _UNSAFE_INLINE  # noqa: E402


def _origin(url: str) -> str:
    """``https://{s}.tile.example.org/{z}/...`` → ``https://*.tile.example.org`` (a CSP host source)."""
    parts = _urlsplit(url)
    host = parts.netloc.split("@")[-1]
    if "{" in host:  # Leaflet's {s} sub-domains
        host = "*." + host.split(".", 1)[1] if "." in host else ""
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else ""


# HTTPS (all off by default: the local demo runs on http://localhost:8000). Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL=true so Django trusts X-Forwarded-Proto from it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# (SESSION_COOKIE_HTTPONLY / SAMESITE: the "auth" section above.) Lax: VNeID and payment returns are top-level GETs.
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "motcua.common.views.csrf_failure"  # Vietnamese page (structured error on the API)
# Headers (SecurityMiddleware / XFrameOptionsMiddleware, plus motcua.common.headers for the rest).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # tracking codes in URLs never leak to the map tile server
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()",
)
# Content Security Policy (django-csp 4). Scripts: our own files plus a per-request nonce (request.csp_nonce) —
# no 'unsafe-inline', no 'unsafe-eval'. Styles allow 'unsafe-inline': templates carry style attributes, the
# slips/print pages inline their CSS, and htmx and Leaflet set inline styles. Images: ours, data: URIs and the
# desk map's tile server. Forms post only to us, and to VNeID / the payment gateway where our views redirect
# there after a form (Chromium applies form-action to those redirects).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF, _NONCE],
        "style-src": [_SELF, _UNSAFE_INLINE],
        "img-src": [_SELF, "data:", *filter(None, [_origin(MAP_TILE_URL)])],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "frame-ancestors": [_NONE],
        "form-action": [_SELF, *filter(None, {_origin(VNEID_ISSUER), _origin(PAYMENT_GATEWAY_URL)})],
        "object-src": [_NONE],
        "base-uri": [_SELF],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]
# Uploads: each file ≤ 20 MB (documents.services.MAX_FILE_BYTES, checked by content); the non-file part of a
# request ≤ DATA_UPLOAD_MAX_MEMORY_SIZE (20 MB: API bodies may carry base64 files); files above
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory. A request carries at most 50 files.
DATA_UPLOAD_MAX_NUMBER_FILES = 50
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
UPLOAD_MAX_PDF_PAGES = env.int("UPLOAD_MAX_PDF_PAGES", default=300)
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=60_000_000)  # A4 at 600 dpi ≈ 35 MP
# Submission rate limits (fixed window, common.ratelimit): a citizen's online submissions per person, and
# dossier creation through the API per staff user or machine client.
CITIZEN_SUBMIT_RATE = env.str("CITIZEN_SUBMIT_RATE", default="20/hour")
API_DOSSIER_CREATE_RATE = env.str("API_DOSSIER_CREATE_RATE", default="300/min")

# --- Audit log (motcua.audit: hash chain, retention, export) (issue 10, part "audit") ----------
# HMAC key of the hash chain: keep it out of the database (default: derived from SECRET_KEY).
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
# Seal anchors (seq, hash, time) appended outside the database: a truncated tail is detected.
AUDIT_ANCHOR_PATH = env.str("AUDIT_ANCHOR_PATH", default=str(BASE_DIR / "var" / "audit-anchors.log"))
DRAFT_RETENTION_DAYS = env.int("DRAFT_RETENTION_DAYS", default=90)  # online drafts never submitted
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=1095)  # ≥ 365 (system check audit.E001)
AUDIT_SEAL_GRACE_MINUTES = env.int("AUDIT_SEAL_GRACE_MINUTES", default=10)  # older unsealed rows = a finding
API_CALL_RETENTION_DAYS = env.int("API_CALL_RETENTION_DAYS", default=365)
OUTBOX_DELIVERED_RETENTION_DAYS = env.int("OUTBOX_DELIVERED_RETENTION_DAYS", default=90)

# --- Personal-data protection (motcua.privacy) (issue 10, part "privacy") ----------------------
# Personal IDs and phone numbers are masked in every log record (all handlers defined so far).
LOGGING.setdefault("filters", {})["mask_personal_data"] = {"()": "motcua.privacy.logfilter.MaskPersonalData"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("mask_personal_data")
# A purpose stated for reading personal data outside one's own dossiers is remembered this long.
PRIVACY_PURPOSE_TTL = env.int("PRIVACY_PURPOSE_TTL", default=30 * 60)
# Breach notification deadline (Law 91/2025: notify the authority within 72 hours of detection).
PRIVACY_BREACH_DEADLINE_HOURS = 72

# --- Backup, restore, retention and archive (issue 10, part "resilience") ----------------------
