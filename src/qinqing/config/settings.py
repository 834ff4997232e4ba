"""Qinqing settings: one module, every value from the environment with a safe default."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(os.environ.get("QINQING_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("QINQING_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("QINQING_DEBUG", False)
SECRET_KEY = os.environ.get("QINQING_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = [h for h in os.environ.get("QINQING_ALLOWED_HOSTS", "*").split(",") if h]
#: reverse proxies (CIDRs) whose X-Forwarded-For names the client; empty: REMOTE_ADDR as is
TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("QINQING_TRUSTED_PROXIES", "").split(",") if p.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("QINQING_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "qinqing.common",
    "qinqing.accounts",
    "qinqing.audit",
    "qinqing.directory",
    "qinqing.demands",
    "qinqing.inbox",
    "qinqing.outreach",
    "qinqing.consultation",
    "qinqing.consultation.drafts",
    "qinqing.notices",
    "qinqing.notices.matching",
    "qinqing.notices.emergency",
    "qinqing.integrity",
    "qinqing.integrity.relations",
    "qinqing.integrity.reports",
    "qinqing.exemption",
    "qinqing.index",
    "qinqing.api",
    "qinqing.demo",
]

MIDDLEWARE = [
    # the client's address behind the trusted reverse proxies (QINQING_TRUSTED_PROXIES)
    "qinqing.common.middleware.ClientAddressMiddleware",
    # then: every later log line carries the request id; every request is counted and timed
    "qinqing.common.middleware.RequestIdMiddleware",
    "qinqing.common.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qinqing.audit.middleware.RequestContextMiddleware",
    # a page's query string with a control character: 400 (forms and the API check their own)
    "qinqing.common.middleware.ControlCharacterQueryMiddleware",
]

ROOT_URLCONF = "qinqing.config.urls"
WSGI_APPLICATION = "qinqing.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qinqing.accounts.context_processors.roles",
                "qinqing.inbox.context_processors.unread",
                "qinqing.common.context_processors.holiday_banner",
            ],
        },
    },
]

# --- database: embedded SQLite (WAL) by default, PostgreSQL through DATABASE_URL -------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "qinqing.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "qinqing.accounts.backends.PhoneOrUsernameBackend",
]
PASSWORD_MIN_LENGTH = env_int("QINQING_PASSWORD_MIN_LENGTH", 10)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "qinqing.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "qinqing.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_LOCKOUT_THRESHOLD = env_int("QINQING_LOGIN_LOCKOUT_THRESHOLD", 5)
LOGIN_LOCKOUT_MINUTES = env_int("QINQING_LOGIN_LOCKOUT_MINUTES", 15)
# Idle timeout: the session cookie lives this long and is renewed on every request.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("QINQING_SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("QINQING_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
API_TOKEN_DAYS = env_int("QINQING_API_TOKEN_DAYS", 30)

# --- language and time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # the shared base layout's CSS
MEDIA_ROOT = Path(os.environ.get("QINQING_MEDIA_ROOT", VAR_DIR / "media"))

# --- shared state: cache, stored files and the task queue (docs/operations.md) -------------
# Several web processes on several machines must see the same proof-of-work challenges, rate
# limits, pending key handovers and cached charts: QINQING_CACHE_URL puts the cache on Redis.
# Unset, the demo keeps Django's in-process cache (`qinqing check --deploy` warns).
CACHE_URL = os.environ.get("QINQING_CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("QINQING_CACHE_PREFIX", "qinqing"),
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Stored files (attachments, evidence, photos, notice files, exports) go through Django's
# storage API: the local file system by default, S3-compatible object storage (MinIO, Aliyun
# OSS, Huawei OBS) with QINQING_S3_BUCKET. The bucket is private: downloads are streamed
# through the permission check, never handed out as public URLs.
S3_BUCKET = os.environ.get("QINQING_S3_BUCKET", "")
if S3_BUCKET:
    from botocore.config import Config as BotoConfig

    DEFAULT_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("QINQING_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("QINQING_S3_REGION") or None,
            "location": os.environ.get("QINQING_S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "addressing_style": os.environ.get("QINQING_S3_ADDRESSING_STYLE") or None,
            # a dead endpoint fails in seconds with one clear line, not after minutes
            "client_config": BotoConfig(
                connect_timeout=3, read_timeout=30, retries={"max_attempts": 2}
            ),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- background jobs: Django Tasks (database worker by default, Redis/RQ in production) -----
QUEUE_URL = os.environ.get("QINQING_QUEUE_URL", "")
if QUEUE_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {
        "default": {
            "BACKEND": os.environ.get("QINQING_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        }
    }
#: RQ (only used with QINQING_QUEUE_URL): a job whose worker died is retried, not lost
RQ_QUEUES = {
    "default": {
        "URL": QUEUE_URL or "redis://127.0.0.1:6379/2",
        "DEFAULT_TIMEOUT": env_int("QINQING_QUEUE_JOB_TIMEOUT", 1800),
    }
}
RQ = {"QUEUE_CLASS": "qinqing.common.queue.RetryingQueue"}
QUEUE_RETRIES = env_int("QINQING_QUEUE_RETRIES", 3)
QUEUE_RETRY_DELAY_SECONDS = env_int("QINQING_QUEUE_RETRY_DELAY_SECONDS", 10)
#: how often a worker looks for jobs abandoned by a killed worker (seconds)
QUEUE_MAINTENANCE_SECONDS = env_int("QINQING_QUEUE_MAINTENANCE_SECONDS", 60)
#: the heartbeat of a running job; a dead worker's job is retried about 60 s after its last one
QUEUE_HEARTBEAT_SECONDS = env_int("QINQING_QUEUE_HEARTBEAT_SECONDS", 10)

# --- uploads: what every accepted file must pass (qinqing.common.files, docs/security.md) ---
#: a ZIP-based upload (.docx, .xlsx): the most bytes all its parts may unpack to …
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("QINQING_UPLOAD_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
#: … the most parts it may hold, and the highest ratio one large part may unpack by
UPLOAD_MAX_ZIP_ENTRIES = env_int("QINQING_UPLOAD_MAX_ZIP_ENTRIES", 1000)
UPLOAD_MAX_ZIP_RATIO = env_int("QINQING_UPLOAD_MAX_ZIP_RATIO", 100)
#: an image: the most pixels (width × height) it may decode to (40 megapixels)
UPLOAD_MAX_IMAGE_PIXELS = env_int("QINQING_UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)

# --- demands ------------------------------------------------------------------------------
#: a reply the firm does not rate is closed as "not rated" after this many working days
DEMAND_AUTO_CLOSE_DAYS = env_int("QINQING_DEMAND_AUTO_CLOSE_DAYS", 5)
#: attachments: the largest file, the most files in one upload and on one case
DEMAND_ATTACHMENT_MAX_BYTES = env_int("QINQING_DEMAND_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DEMAND_ATTACHMENT_MAX_FILES = env_int("QINQING_DEMAND_ATTACHMENT_MAX_FILES", 5)
DEMAND_ATTACHMENT_MAX_PER_CASE = env_int("QINQING_DEMAND_ATTACHMENT_MAX_PER_CASE", 20)

# --- messages to people: email (console in the demo) and SMS (pluggable) -------------------
EMAIL_BACKEND = os.environ.get(
    "QINQING_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("QINQING_FROM_EMAIL", "qinqing@localhost")
EMAIL_HOST = os.environ.get("QINQING_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("QINQING_EMAIL_PORT", 25)
SMS_BACKEND = os.environ.get("QINQING_SMS_BACKEND", "qinqing.inbox.channels.LogSmsBackend")

# --- directory -----------------------------------------------------------------------------
DIRECTORY_PAGE_SIZE = env_int("QINQING_PAGE_SIZE", 20)
IMPORT_MAX_ROWS = env_int("QINQING_IMPORT_MAX_ROWS", 20000)
IMPORT_MAX_BYTES = env_int("QINQING_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DEMAND_STATS_MIN_CASES = env_int("QINQING_DEMAND_STATS_MIN_CASES", 10)

# --- integrity: misconduct reports and the conflict graph (docs/reports-security.md) ----------
# the other REPORTS_* values and their defaults: src/qinqing/integrity/reports/conf.py
REPORTS_KDF_PROFILE = os.environ.get("QINQING_REPORTS_KDF_PROFILE", "interactive")
REPORTS_RECEIPT_PEPPER = os.environ.get("QINQING_REPORTS_RECEIPT_PEPPER", "")
# submissions per (hashed) client address per hour
REPORTS_RATE_LIMIT = env_int("QINQING_REPORTS_RATE_LIMIT", 10)
# keyed hash of ID-card numbers in the conflict graph (SECRET_KEY when empty)
RELATIONS_ID_KEY = os.environ.get("QINQING_RELATIONS_ID_KEY", "")

# --- audit ------------------------------------------------------------------------------
AUDIT_HEAD_FILE = Path(os.environ.get("QINQING_AUDIT_HEAD_FILE", VAR_DIR / "audit-head.log"))

# --- observability (/healthz, /metrics, logs; docs/operations.md) ----------------------------
#: /metrics: a scraper with this bearer token, or one calling directly from these networks
METRICS_TOKEN = os.environ.get("QINQING_METRICS_TOKEN", "")
METRICS_ALLOW = [
    n.strip()
    for n in os.environ.get("QINQING_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",")
    if n.strip()
]
#: "text" (the default) or "json": one JSON object a line with the request id
LOG_FORMAT = os.environ.get("QINQING_LOG_FORMAT", "text").strip().lower()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "qinqing.common.logs.RequestIdFilter"},
        "redact": {"()": "qinqing.common.logs.RedactFilter"},
    },
    "formatters": {
        "text": {"()": "qinqing.common.logs.TextFormatter"},
        "json": {"()": "qinqing.common.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id", "redact"],
        }
    },
    "loggers": {
        # one line per request: method, view name, status, duration, request id
        "qinqing.request": {"level": os.environ.get("QINQING_REQUEST_LOG_LEVEL", "INFO")},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("QINQING_LOG_LEVEL", "WARNING")},
}
