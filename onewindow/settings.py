"""OneWindow settings: one module, driven by documented environment variables.

Every variable is listed in docs/operations.md. Production is the default: DEBUG is off, a
secret key is required, cookies are secure and HSTS is on unless explicitly relaxed.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONEWINDOW_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = env_bool("ONEWINDOW_DEBUG", False)
TESTING = env_bool("ONEWINDOW_TESTING", False)

SECRET_KEY = os.environ.get("ONEWINDOW_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "onewindow-insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "ONEWINDOW_SECRET_KEY must be set in production (ONEWINDOW_DEBUG is off)."
        )

ALLOWED_HOSTS = env_list(
    "ONEWINDOW_ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "testserver"] if (DEBUG or TESTING) else [],
)
CSRF_TRUSTED_ORIGINS = env_list("ONEWINDOW_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "onewindow.core",
    "onewindow.workdays",
    "onewindow.regions",
    "onewindow.accounts",
    "onewindow.notifications",
    "onewindow.catalog",
    "onewindow.cases",
    "onewindow.hall",
    "onewindow.hotline",
    "onewindow.evaluation",
    "onewindow.enterprise",
    "onewindow.joint",
    "onewindow.proxy",
    "onewindow.packages",
    "onewindow.supervision",
    "onewindow.assessment",
    "onewindow.stats",
    "onewindow.portal",
    "onewindow.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onewindow.core.middleware.ContentSecurityPolicyMiddleware",
    "onewindow.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onewindow.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onewindow.urls"
WSGI_APPLICATION = "onewindow.wsgi.application"
ASGI_APPLICATION = "onewindow.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "onewindow.portal.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL=postgres://user@host:5432/name switches to PostgreSQL; SQLite is the embedded
# default so that `make run` needs nothing installed.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'onewindow.sqlite3'}"),
        conn_max_age=int(os.environ.get("ONEWINDOW_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Server-side binding lets psycopg prepare a statement the second time it runs, so that the
    # ORM's wide joins (the case screen joins eight tables) are planned once per connection, not
    # on every request. ONEWINDOW_DB_PREPARE=0 turns it off (e.g. behind pgbouncer in
    # transaction mode). See docs/decisions/0006-prepared-statements.md.
    if os.environ.get("ONEWINDOW_DB_PREPARE", "1") == "1":
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )
    # Under ASGI (`onewindow serve`) a request's sync code runs in a thread of its own, so
    # connections are pooled per process instead of kept per thread (and prepared statements
    # live on in the pooled connections). ONEWINDOW_DB_POOL_MAX=0 (the default outside the web
    # server) keeps Django's per-thread connections. See docs/decisions/0007.
    POOL_MAX = int(os.environ.get("ONEWINDOW_DB_POOL_MAX", "0"))
    if POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, POOL_MAX), "max_size": POOL_MAX, "timeout": 10,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The due-date index carries non-key columns (INCLUDE) for PostgreSQL's index-only counts;
# SQLite, the embedded database, builds it without them, which is fine for its sizes.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "onewindow.accounts.backends.PhoneCodeBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated failed sign-ins lock the account/IP pair for a while (django-axes).
if TESTING:
    # Tests create many staff accounts; a fast hasher keeps the suite quick. Never in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_FAILURE_LIMIT = int(os.environ.get("ONEWINDOW_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("ONEWINDOW_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "onewindow.accounts.views.lockout_response"
AXES_VERBOSE = False

# One-time codes for applicants (mobile number + code)
OTP_TTL_SECONDS = int(os.environ.get("ONEWINDOW_OTP_TTL_SECONDS", "300"))
OTP_MAX_ATTEMPTS = int(os.environ.get("ONEWINDOW_OTP_MAX_ATTEMPTS", "5"))
OTP_RESEND_SECONDS = int(os.environ.get("ONEWINDOW_OTP_RESEND_SECONDS", "60"))
SMS_BACKEND = os.environ.get(
    "ONEWINDOW_SMS_BACKEND", "onewindow.notifications.sms.StoredSmsBackend"
)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "onewindow" / "locale"]
TIME_ZONE = os.environ.get("ONEWINDOW_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("ONEWINDOW_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ONEWINDOW_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("ONEWINDOW_SESSION_SECONDS", str(8 * 3600)))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("ONEWINDOW_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("ONEWINDOW_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("ONEWINDOW_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ONEWINDOW_ALLOWED_HOSTS must be set in production.")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Background jobs (Celery) ---------------------------------------------------------------
# With no CELERY_BROKER_URL the embedded mode uses kombu's filesystem transport under var/:
# a real worker and beat, no broker to install. In production point it at Redis or RabbitMQ.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The hall: kiosk tickets per minute per kiosk address (a guard against scripts hoarding numbers).
ONEWINDOW_KIOSK_RATE = int(os.environ.get("ONEWINDOW_KIOSK_RATE", "120"))

CELERY_BEAT_SCHEDULE = {
    "deliver-outbox": {"task": "notifications.deliver_pending", "schedule": 10.0},
    # Versions published with a future effective date go live just after midnight (hourly too,
    # so a worker that was down at midnight catches up; the job is idempotent).
    "deem-cases-accepted": {"task": "cases.deem_accepted", "schedule": crontab(minute=15)},
    "anchor-case-audit": {"task": "cases.anchor_audit", "schedule": crontab(hour=0, minute=20)},
    # The hall: appointment slots ahead, reminders the day before, no-shows, the day's close.
    "hall-generate-slots": {"task": "hall.generate_slots",
                            "schedule": crontab(hour="0,6", minute=30)},
    "hall-remind-appointments": {"task": "hall.remind_appointments",
                                 "schedule": crontab(hour="10,18", minute=0)},
    "hall-mark-no-shows": {"task": "hall.mark_no_shows", "schedule": crontab(minute="*/15")},
    "hall-close-days": {"task": "hall.close_days", "schedule": crontab(hour=0, minute=5)},
    # Electronic supervision: reminders, yellow and red cards (reads only what changed).
    "supervision-scan": {"task": "supervision.scan", "schedule": crontab(minute="*/10")},
    # 企忧: concerns past their deadline flagged (idempotent).
    "enterprise-mark-overdue-concerns": {"task": "enterprise.mark_overdue_concerns",
                                         "schedule": crontab(minute=40)},
    # 一件事: waiting cases whose prerequisite was decided (catch-up for the decision signal).
    "packages-start-ready": {"task": "packages.start_ready", "schedule": crontab(minute="*/5")},
    # Dashboards' roll-up tables: the cases, ratings and alerts that changed since last time.
    "stats-refresh": {"task": "stats.refresh", "schedule": crontab(minute="*/5")},
    # Window assessment: last month's draft on the 2nd (the management office publishes it).
    "assessment-compute-last-month": {"task": "assessment.compute_last_month",
                                      "schedule": crontab(day_of_month=2, hour=3, minute=30)},
    "evaluation-send-invitations": {"task": "evaluation.send_invitations",
                                    "schedule": crontab(minute="*/30")},
    "hotline-mark-overdue-orders": {"task": "hotline.mark_overdue_orders",
                                    "schedule": crontab(minute="*/10")},
    "activate-catalog-versions": {
        "task": "catalog.activate_due_versions",
        "schedule": crontab(minute=5),
    },
}

# --- Logging: structured, never personal data -----------------------------------------------
LOG_LEVEL = os.environ.get("ONEWINDOW_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "onewindow.core.logging.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
    },
}

# --- Site -----------------------------------------------------------------------------------
ONEWINDOW_SITE_NAME = os.environ.get("ONEWINDOW_SITE_NAME", "一窗通 · 政务服务网")
ONEWINDOW_HOTLINE = os.environ.get("ONEWINDOW_HOTLINE", "12345")
ONEWINDOW_API_PAGE_SIZE = 50
# Office hours used by workdays.add_work_hours (local practice; comma-separated periods).
ONEWINDOW_OFFICE_HOURS = os.environ.get("ONEWINDOW_OFFICE_HOURS", "09:00-12:00,13:30-17:30")
# How often (seconds) a process checks whether another process changed the calendar.
ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS = float(
    os.environ.get("ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS", "1.0")
)

# Outbox: a commit asks a worker to deliver at most this often per process (the periodic job
# catches the rest).
ONEWINDOW_OUTBOX_KICK_SECONDS = float(
    os.environ.get("ONEWINDOW_OUTBOX_KICK_SECONDS", "0" if TESTING else "1.0")
)

# Cases: the public address printed in notices' QR codes, and the upload limit per material.
ONEWINDOW_SITE_URL = os.environ.get("ONEWINDOW_SITE_URL", "http://127.0.0.1:8000")
ONEWINDOW_MATERIAL_MAX_BYTES = int(
    os.environ.get("ONEWINDOW_MATERIAL_MAX_BYTES", str(10 * 1024 * 1024))
)
