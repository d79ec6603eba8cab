"""Settings, driven by the environment.

Defaults make `make demo` work with no configuration (SQLite under `var/`, keys and
secret key generated there on first run). Production differs only by environment:
DATABASE_URL, SECRET_KEY (or SECRET_KEY_FILE), GONGZHI_KEYRING_FILE, ALLOWED_HOSTS.
Every secret may be given as NAME or as NAME_FILE (a path whose content is the value).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from NAME, or from the file named by NAME_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("GONGZHI_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The database, keyring, secret key and uploads: for the service's user only.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_mode & 0o777 != 0o700:
    DATA_DIR.chmod(0o700)


def _local_secret_key() -> str:
    """A per-install secret key kept in the data directory (0600), made on first run."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or _local_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Behind a proxy that sets X-Forwarded-For, the audit log records the client's address.
GONGZHI_TRUST_X_FORWARDED_FOR = env_bool("GONGZHI_TRUST_X_FORWARDED_FOR", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Only for its bundled Swagger UI assets: /api/v1/docs works offline.
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "gongzhi.core",
    "gongzhi.audit",
    "gongzhi.accounts",
    "gongzhi.notifications",
    "gongzhi.registry",
    "gongzhi.imports",
    "gongzhi.health",
    "gongzhi.workorders",
    "gongzhi.notices",
    "gongzhi.visits",
    "gongzhi.points",
    "gongzhi.proposals",
    "gongzhi.outreach",
    "gongzhi.emergency",
    "gongzhi.reports",
    "gongzhi.portal",
    "gongzhi.api",
    "gongzhi.web",
    "gongzhi.demo",
    "gongzhi.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their caching): everything else is no-store.
    "gongzhi.web.middleware.NoStoreMiddleware",
    "gongzhi.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gongzhi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, whose check reads the body: refuses oversized uploads unread.
    "gongzhi.web.middleware.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gongzhi.accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gongzhi.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NotFound / Forbidden from selectors and services -> 404 / 403 pages.
    "gongzhi.web.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongzhi.web.context_processors.workbench",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gongzhi.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, creating the database and its WAL files 0600 (core/sqlite).
    DATABASES["default"]["ENGINE"] = "gongzhi.core.sqlite"
    # Tests on SQLite use a database in memory, as with Django's own backend name (which
    # pytest-django's per-worker naming recognises; it would name a file otherwise).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers
        # queue instead of failing on lock upgrade ("database is locked").
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # cache_size: up to 64 MiB of pages per connection (the default is 2 MiB), taken
        # only as pages are read. Writing a million persons into the register's indexes
        # went from 15,600 to 26,000 rows/s with it (docs/benchmarks.md, section 3).
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;PRAGMA cache_size=-65536;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session lives SESSION_COOKIE_AGE seconds after the last request.
SESSION_COOKIE_AGE = env_int("GONGZHI_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- HTTPS (docs/deployment.md) ------------------------------------------------------------
# GONGZHI_HTTPS=true: the site is served over HTTPS only (production). It turns on HSTS,
# the redirect to HTTPS and Secure cookies; each can be set on its own. Behind a proxy that
# terminates TLS, GONGZHI_PROXY_SSL_HEADER names the header by which it says "https"
# (e.g. X-Forwarded-Proto; the proxy must overwrite it on every request).
GONGZHI_HTTPS = env_bool("GONGZHI_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", GONGZHI_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes inside the network speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if GONGZHI_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", GONGZHI_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", GONGZHI_HTTPS)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", GONGZHI_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
_proxy_ssl_header = env("GONGZHI_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)

# Content-Security-Policy (django-csp): scripts and styles only from our own static files
# (htmx and Tabler are vendored; no template has inline script or style), images also as
# data: URIs (Tabler's icons in CSS). The API's interactive docs (ninja's Swagger UI, no
# personal data) are left out: its bundle inserts styles.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Wrong passwords (and SMS codes) count per account name and client address: after the free
# ones, that address waits DELAY seconds, doubling with each further failure up to
# MAX_DELAY; a success or FORGET seconds without a failure clear the count. A stranger
# elsewhere cannot lock an account out (accounts.services.sign_in_failure).
GONGZHI_SIGN_IN_FREE_FAILURES = env_int("GONGZHI_SIGN_IN_FREE_FAILURES", 5)
GONGZHI_SIGN_IN_DELAY_SECONDS = env_int("GONGZHI_SIGN_IN_DELAY_SECONDS", 60)
GONGZHI_SIGN_IN_MAX_DELAY_SECONDS = env_int("GONGZHI_SIGN_IN_MAX_DELAY_SECONDS", 3600)
GONGZHI_SIGN_IN_FORGET_SECONDS = env_int("GONGZHI_SIGN_IN_FORGET_SECONDS", 24 * 3600)
# Absolute lifetime: a session ends this long after sign-in, however busy.
GONGZHI_SESSION_MAX_AGE_SECONDS = env_int("GONGZHI_SESSION_MAX_AGE_SECONDS", 12 * 3600)

OTP_TOTP_ISSUER = "共治 Gongzhi"

# --- Personal-data protection -----------------------------------------------------------
# aes-256-gcm (default) or sm4-gcm. Blind indexes and the audit chain use HMAC-SHA256 /
# SHA-256, or HMAC-SM3 / SM3 when sm4-gcm is chosen.
GONGZHI_CIPHER = env("GONGZHI_CIPHER", "aes-256-gcm")
# The keyring file, which `gongzhi keys` rewrites on rotation and running processes reload.
# Read with os.environ, not env(): for this one setting NAME_FILE *is* the setting.
GONGZHI_KEYRING_FILE = Path(
    os.environ.get("GONGZHI_KEYRING_FILE") or str(DATA_DIR / "keyring.json")
)
# Or the keyring as JSON text (containers, secret stores); it wins over the file.
GONGZHI_KEYRING = os.environ.get("GONGZHI_KEYRING", "")

# --- Notifications and SMS (docs/notifications.md) ------------------------------------------
# "local": the development gateway (records to the outbox, sends nothing); "http": a provider
# speaking the JSON protocol in docs/notifications.md at GONGZHI_SMS_HTTP_URL.
GONGZHI_SMS_GATEWAY = env("GONGZHI_SMS_GATEWAY", "local")
GONGZHI_SMS_HTTP_URL = env("GONGZHI_SMS_HTTP_URL", "")
GONGZHI_SMS_HTTP_KEY = env("GONGZHI_SMS_HTTP_KEY", "")
GONGZHI_SMS_HTTP_TIMEOUT = env_int("GONGZHI_SMS_HTTP_TIMEOUT", 5)
GONGZHI_SMS_MAX_ATTEMPTS = env_int("GONGZHI_SMS_MAX_ATTEMPTS", 5)
GONGZHI_SMS_RETRY_SECONDS = env_int("GONGZHI_SMS_RETRY_SECONDS", 30)
GONGZHI_SMS_SIGNATURE = env("GONGZHI_SMS_SIGNATURE", "【共治】")
# Residents' sign-in by SMS code: lifetime, attempts, and how often a code may be asked for.
GONGZHI_SMS_CODE_TTL_SECONDS = env_int("GONGZHI_SMS_CODE_TTL_SECONDS", 300)
GONGZHI_SMS_CODE_MAX_ATTEMPTS = env_int("GONGZHI_SMS_CODE_MAX_ATTEMPTS", 5)
GONGZHI_SMS_CODE_PER_PHONE_MINUTE = env_int("GONGZHI_SMS_CODE_PER_PHONE_MINUTE", 1)
GONGZHI_SMS_CODE_PER_PHONE_HOUR = env_int("GONGZHI_SMS_CODE_PER_PHONE_HOUR", 5)
GONGZHI_SMS_CODE_PER_IP_HOUR = env_int("GONGZHI_SMS_CODE_PER_IP_HOUR", 20)
# A phone number found on exactly one present person of the register may sign in and gets
# a resident account at first sign-in.
GONGZHI_RESIDENT_SELF_SIGNUP = env_bool("GONGZHI_RESIDENT_SELF_SIGNUP", True)
# Staff accounts: the address SMS links point to, and how long an invitation or a
# password-reset link stays good (accounts.staff).
GONGZHI_PUBLIC_URL = env("GONGZHI_PUBLIC_URL", "http://localhost:8000")
GONGZHI_ACCOUNT_LINK_TTL_HOURS = env_int("GONGZHI_ACCOUNT_LINK_TTL_HOURS", 48)

# --- Imports (docs/imports.md) ----------------------------------------------------------------
# The largest register spreadsheet accepted, refused while it arrives.
GONGZHI_IMPORT_MAX_BYTES = env_int("GONGZHI_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# Days an uploaded spreadsheet is kept after its import (it holds personal data in the
# clear; the register and each row's outcome stay).
GONGZHI_IMPORT_KEEP_DAYS = env_int("GONGZHI_IMPORT_KEEP_DAYS", 7)
# A list download of this many rows or more is written by the worker (0: always on the spot);
# its file is kept, encrypted, for this many minutes.
GONGZHI_EXPORT_BACKGROUND_ROWS = env_int("GONGZHI_EXPORT_BACKGROUND_ROWS", 5000)
GONGZHI_EXPORT_KEEP_MINUTES = env_int("GONGZHI_EXPORT_KEEP_MINUTES", 60)
# Forked reader processes for big files (0: decided from the number of cores).
GONGZHI_IMPORT_PROCESSES = env_int("GONGZHI_IMPORT_PROCESSES", 0) or None

# --- Rate limits (django-ninja's throttles; docs/deployment.md) -----------------------------
# "N/period" with period s, min, h or day (or e.g. "30/10min"); empty turns a limit off.
# Counted in the default cache: shared by the processes of one machine with the file cache.
GONGZHI_RATE_API_USER = env("GONGZHI_RATE_API_USER", "600/min")
GONGZHI_RATE_API_KEY = env("GONGZHI_RATE_API_KEY", "600/min")
GONGZHI_RATE_API_ANON = env("GONGZHI_RATE_API_ANON", "60/min")
# POSTs to the sign-in pages (workbench, /m/, SMS codes, password reset) from one address.
GONGZHI_RATE_SIGN_IN = env("GONGZHI_RATE_SIGN_IN", "60/10min")
# Certificates checked on the public /verify page (a token pasted or opened) from one address.
GONGZHI_RATE_VERIFY = env("GONGZHI_RATE_VERIFY", "60/10min")

# --- Certificates (电子证照; docs/points-certificates.md) ----------------------------------
# The algorithm of new signing keys: "ed25519", or "sm2" (SM2 with SM3) where a deployment
# uses the national algorithms. Existing keys keep theirs: a change applies at the next
# rotation of each community's key.
GONGZHI_CERTIFICATE_ALGORITHM = env("GONGZHI_CERTIFICATE_ALGORITHM", "ed25519")

# --- Outreach providers (智能外呼; docs/outreach-gateways.md) ---------------------------------
# With GONGZHI_OUTREACH_GATEWAY=http: the provider's base URL (…/sms/batch, …/calls), its key
# and how long one batch may take. Callbacks to /outreach/callbacks/<provider>/ are signed
# with the shared secret (refused while it is empty) and refused when their timestamp is
# further than the window from our clock, or their body larger than the limit.
GONGZHI_OUTREACH_HTTP_URL = env("GONGZHI_OUTREACH_HTTP_URL", "")
GONGZHI_OUTREACH_HTTP_KEY = env("GONGZHI_OUTREACH_HTTP_KEY", "")
GONGZHI_OUTREACH_HTTP_TIMEOUT = env_int("GONGZHI_OUTREACH_HTTP_TIMEOUT", 10)
GONGZHI_OUTREACH_CALLBACK_SECRET = env("GONGZHI_OUTREACH_CALLBACK_SECRET", "")
GONGZHI_OUTREACH_CALLBACK_WINDOW_SECONDS = env_int("GONGZHI_OUTREACH_CALLBACK_WINDOW_SECONDS", 300)
GONGZHI_OUTREACH_CALLBACK_MAX_BYTES = env_int("GONGZHI_OUTREACH_CALLBACK_MAX_BYTES", 1024 * 1024)
CACHES = {
    "default": {
        "BACKEND": env(
            "GONGZHI_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
        ),
        "LOCATION": env("GONGZHI_CACHE_LOCATION", str(DATA_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": env_int("GONGZHI_CACHE_MAX_ENTRIES", 20000)},
    }
}

# --- Background work --------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("GONGZHI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
GONGZHI_PERIODIC_JOBS = "gongzhi.jobs.PERIODIC_JOBS"

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "gongzhi" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders: no collectstatic step for the demo.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest request body, and the largest file in it, that any view accepts (views that
# take photos accept less: `core.uploads.upload_limit`). Refused by Content-Length before
# it is read, and while it arrives. Default: the largest register import plus the form.
GONGZHI_REQUEST_MAX_BYTES = env_int(
    "GONGZHI_REQUEST_MAX_BYTES", GONGZHI_IMPORT_MAX_BYTES + 1024 * 1024
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = []

# Searching the register by a full ID number or phone: per user and per API key, in the
# shared cache (registry.exact); a burst past it is refused and flagged in the audit log.
GONGZHI_EXACT_SEARCH_RATE = env("GONGZHI_EXACT_SEARCH_RATE", "30/h")

# Points (能量广场, docs/points-ledger.md): a work order rated 4 or 5 stars awards its handler
# this many points; a resolved order credits its handler the time from start to resolution,
# at most the cap, or the default when the order was never started (hours, tenths).
GONGZHI_POINTS_PER_GOOD_RATING = env_int("GONGZHI_POINTS_PER_GOOD_RATING", 10)
GONGZHI_ORDER_HOURS_CAP = env("GONGZHI_ORDER_HOURS_CAP", "4.0")
GONGZHI_ORDER_HOURS_DEFAULT = env("GONGZHI_ORDER_HOURS_DEFAULT", "1.0")
# Points earned in a calendar year expire at the end of the Nth calendar year after it
# (1: earned in 2025, gone after 31 December 2026); 0 keeps points for ever.
GONGZHI_POINTS_EXPIRY_YEARS = env_int("GONGZHI_POINTS_EXPIRY_YEARS", 1)
