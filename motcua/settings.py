"""MotCua settings: one file, configured only from environment variables (django-environ).

Embedded default: SQLite in ./var (WAL mode so the web server and the worker share it), local
files, in-process database task queue. Production: DATABASE_URL=postgres://..., SECRET_KEY, etc.
"""

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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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

# --- Security: headers, CSP, uploads, rate limits (issue 10, part "hardening") ----------------

# --- Audit log (motcua.audit: hash chain, retention, export) (issue 10, part "audit") ----------

# --- Personal-data protection (motcua.privacy) (issue 10, part "privacy") ----------------------

# --- Backup, restore, retention and archive (issue 10, part "resilience") ----------------------
