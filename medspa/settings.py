"""Medspa settings: one module, configured only by environment variables.

Safe local defaults make `make run` work on a fresh machine; production (`DEBUG=false`)
refuses to start with a default secret or file key (see `check_production_secrets`).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent

DEV_SECRET_KEY = "medspa-dev-secret-key-not-for-production"
DEV_FILE_KEY = "bWVkc3BhLWRldi1maWxlLWtleS1ub3QtZm9yLXByb2Q="


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("MEDSPA_TESTING", False)

DATA_DIR = Path(env_str("MEDSPA_DATA_DIR", str(REPO_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
FILE_KEY = env_str("MEDSPA_FILE_KEY", DEV_FILE_KEY)


def check_production_secrets() -> list[str]:
    """Return why production must not start; empty when the secrets are real."""
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("SECRET_KEY is unset, the development default, or shorter than 40 characters.")
    if FILE_KEY == DEV_FILE_KEY:
        problems.append("MEDSPA_FILE_KEY is unset or the development default.")
    elif not all(_is_file_key(part) for part in FILE_KEY.split(",")):
        problems.append("MEDSPA_FILE_KEY must be base64 of 32 random bytes (a comma-separated list when rotating).")
    return problems


def _is_file_key(text: str) -> bool:
    import base64
    import binascii

    try:
        return len(base64.b64decode(text.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


if not DEBUG and not TESTING:
    _problems = check_production_secrets()
    if _problems:
        sys.stderr.write(
            "Medspa refuses to start in production mode (DEBUG=false):\n"
            + "".join(f"  - {p}\n" for p in _problems)
            + "Set real values in the environment (see README.md, Configuration).\n"
        )
        raise SystemExit(2)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "servestatic",
    "channels",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "medspa.core",
    "medspa.accounts",
    "medspa.catalog",  # before the apps whose demo data books its services
    "medspa.patients",
    "medspa.scheduling",
    "medspa.booking",
    "medspa.charting",
    "medspa.photos",
    "medspa.consents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "medspa.core.middleware.RequestContextMiddleware",
    "medspa.core.middleware.BodySizeLimitMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "medspa.accounts.middleware.ActorMiddleware",
    "medspa.accounts.middleware.SessionPolicyMiddleware",
    "medspa.accounts.middleware.MfaRequiredMiddleware",
    "medspa.core.middleware.KioskLockMiddleware",
    "medspa.core.middleware.DomainErrorMiddleware",
    # django-axes must be last: it turns locked-out logins into HTTP 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medspa.urls"
ASGI_APPLICATION = "medspa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "medspa.accounts.context_processors.shell",
            ],
        },
    }
]

# Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'medspa.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# Persistent connections: the ASGI handler runs views on a fixed pool of threads
# (medspa.core.asgi_threads), so each thread keeps its one connection between requests.
_db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
WEB_THREADS = env_int("WEB_THREADS", 8)
_db["CONN_HEALTH_CHECKS"] = True
_db["ATOMIC_REQUESTS"] = False
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, jobs, live events -------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "medspa",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "medspa"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "medspa",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
if TESTING:
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "medspa-test", "immediate": True}

# Without Redis the worker and the web server are separate processes with separate
# in-memory channel layers; live events then travel through a small database relay.
LIVE_EVENTS_RELAY = not REDIS_URL

# Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "medspa.accounts.adapters.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Medspa] "
ACCOUNT_RATE_LIMITS = {
    "login": "160/m/ip",
    "login_failed": None,  # django-axes owns the lockout (one mechanism, one 429)
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
MFA_ADAPTER = "medspa.accounts.adapters.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Medspa"
MFA_RECOVERY_CODE_COUNT = 10
# Staff addresses come from invitations (proved by opening the emailed link), so allauth's
# per-address verification must not block enrolment in two-factor authentication.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Brute-force protection: 5 failures per account or per IP within 15 minutes -> HTTP 429.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "medspa.accounts.lockout.username_from_request"
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "medspa.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Sessions: a 12-hour absolute limit; idle timeout is per clinic (SessionPolicyMiddleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "medspa_session"
CSRF_COOKIE_NAME = "medspa_csrftoken"

API_TOKEN_HOURS = env_int("API_TOKEN_HOURS", 12)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
# Paths allowed a larger body than MAX_REQUEST_BODY_BYTES: the patient CSV import takes files
# up to 20 MB (the view refuses larger files inline; the margin is for the multipart envelope).
LARGE_BODY_PATHS = {"/settings/import/": 21 * 1024 * 1024}
# Photo uploads (FILE-2): up to FILE_MAX_UPLOAD_BYTES, allowed on these path patterns.
FILE_MAX_UPLOAD_BYTES = env_int("MEDSPA_FILE_MAX_BYTES", 25 * 1024 * 1024)
LARGE_BODY_PATTERNS = {
    r"^/patients/[0-9a-f-]{36}/photo/$": FILE_MAX_UPLOAD_BYTES + 1024 * 1024,
    # Clinical photo uploads of the API (medspa.photos.api).
    r"^/api/(?:charts|patients)/[0-9a-f-]{36}/photos$": FILE_MAX_UPLOAD_BYTES + 1024 * 1024,
    # Photos a patient adds to a form, by the form link or on the clinic's tablet (medspa.consents).
    r"^/f/[A-Za-z0-9_-]{20,100}/(?:upload/)?$": FILE_MAX_UPLOAD_BYTES + 1024 * 1024,
    r"^/kiosk/form/(?:upload/)?$": FILE_MAX_UPLOAD_BYTES + 1024 * 1024,
}
# Uploads stay in memory, never in an unencrypted temporary file: no body can exceed the
# largest allowance above, so no upload reaches this size.
FILE_UPLOAD_MAX_MEMORY_SIZE = max([*LARGE_BODY_PATHS.values(), *LARGE_BODY_PATTERNS.values()])

# Security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, "ws:", "wss:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Internationalisation and time ------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
# Private files (medspa.core.files): nothing serves MEDIA_ROOT; downloads go through
# signed URLs that live FILE_URL_TTL_SECONDS (capped at 300). Images are decoded in a
# separate process limited to FILE_WORKER_MEMORY_MB of address space.
FILE_MAX_PIXELS = env_int("MEDSPA_FILE_MAX_PIXELS", 50_000_000)
FILE_URL_TTL_SECONDS = env_int("MEDSPA_FILE_URL_TTL", 300)
FILE_DECODE_IN_WORKER = env_bool("MEDSPA_FILE_DECODE_IN_WORKER", True)
FILE_WORKER_MEMORY_MB = env_int("MEDSPA_FILE_WORKER_MEMORY_MB", 1024)
FILE_WORKER_TIMEOUT_SECONDS = env_int("MEDSPA_FILE_WORKER_TIMEOUT", 30)

# Email: the console backend prints messages locally; set EMAIL_URL-style vars in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
PAYMENT_BACKEND = env_str("PAYMENT_BACKEND", "test")  # "test": clearly labelled test mode, no money moves
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Medspa <no-reply@medspa.local>")

# Audit -------------------------------------------------------------------------------
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(DATA_DIR / "audit-checkpoints")))

DEMO_PASSWORD = env_str("MEDSPA_DEMO_PASSWORD", "medspa-demo")

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_row_values": {"()": "medspa.core.logscrub.ScrubRowValues"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub_row_values"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # PRIV-5: even with LOG_LEVEL=DEBUG these stay quiet: the template engine's DEBUG records
        # dump the whole template context (patients) and the SQL log carries query parameters.
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO"},
    },
}
CSRF_FAILURE_VIEW = "medspa.core.views.csrf_failure_view"
