"""Rabta's one settings module, driven by the environment.

Embedded mode (no DATABASE_URL): SQLite and a generated secret key under ./var/.
Production: DATABASE_URL=postgres://..., REDIS_URL=redis://..., SECRET_KEY=... are required.
A mistake stops start-up with a message that says how to fix it.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu.entity import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("RABTA_VAR_DIR", Path.cwd() / "var")).resolve()

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
EMBEDDED = not DATABASE_URL
TESTING = os.environ.get("RABTA_TESTING") == "1" or "pytest" in sys.modules


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: set it to 1/0, true/false or yes/no.")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured(
                "SECRET_KEY is shorter than 32 characters. Generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    if not EMBEDDED and not TESTING:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DATABASE_URL is set (production). Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' and export it as SECRET_KEY."
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("RABTA_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("RABTA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
RABTA_PUBLIC_URL = os.environ.get("RABTA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [RABTA_PUBLIC_URL]

# Two-factor log-in is required for every staff role. Only the embedded demo may relax it,
# and every page then says so.
RABTA_DEMO = _env_bool("RABTA_DEMO", False)
RABTA_RELAX_2FA = _env_bool("RABTA_RELAX_2FA", False)
if RABTA_RELAX_2FA and not (EMBEDDED and RABTA_DEMO):
    raise ImproperlyConfigured(
        "RABTA_RELAX_2FA is only allowed in the embedded demo (no DATABASE_URL and RABTA_DEMO=1). "
        "Unset RABTA_RELAX_2FA: staff must log in with a TOTP code."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "rabta.core",
    "rabta.accounts",
    "rabta.org",
    "rabta.intake",
    "rabta.cases",
    "rabta.notify",
    "rabta.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rabta.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rabta.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rabta.urls"
WSGI_APPLICATION = "rabta.wsgi.application"
ASGI_APPLICATION = "rabta.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rabta.core.context_processors.rabta",
            ],
        },
    }
]


def _database() -> dict[str, object]:
    if EMBEDDED:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "rabta.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    try:
        config = dj_database_url.parse(DATABASE_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL could not be read ({exc}). Use the form postgres://USER:PASSWORD@HOST:5432/NAME."
        ) from exc
    if config.get("ENGINE") != "django.db.backends.postgresql" and not DATABASE_URL.startswith("sqlite"):
        raise ImproperlyConfigured(
            f"DATABASE_URL points at {config.get('ENGINE')}; Rabta runs on PostgreSQL "
            "(postgres://...) in production, or on SQLite when DATABASE_URL is unset."
        )
    # A connection pool per process (psycopg_pool): the web role serves requests from many
    # threads under ASGI, where Django's persistent connections would pile up one per thread.
    config["CONN_MAX_AGE"] = 0
    config["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before handing it out
    config.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("RABTA_DB_POOL_SIZE", "8")),
        "timeout": float(os.environ.get("RABTA_DB_POOL_TIMEOUT", "2")),
    }
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Tests create hundreds of users; argon2's deliberate cost would dominate the suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lock-out after repeated failures (django-axes): per user name and per address.
AXES_FAILURE_LIMIT = int(os.environ.get("RABTA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("RABTA_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

SECURE = _env_bool("RABTA_SECURE_COOKIES", RABTA_PUBLIC_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ur", "اردو"), ("ps", "پښتو")]
LANGUAGES_BIDI = ["ur", "ps", "ar", "fa"]  # Django's default list lacks Pashto
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
_NODE_MODULES = Path(os.environ.get("RABTA_NODE_MODULES", BASE_DIR.parent / "node_modules"))
STATICFILES_DIRS = [("vendor", _NODE_MODULES)] if _NODE_MODULES.is_dir() else []
MEDIA_ROOT = VAR_DIR / "media"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: Redis in production; in embedded mode a file-system broker under ./var/ so that
# `rabta run` needs no outside service. The task code is the same in both.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Tasks are idempotent, so a task a killed worker held is redelivered after a minute, not an hour.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 60, "socket_connect_timeout": 1, "socket_timeout": 5,
        "queue_order_strategy": "priority",  # the queues in CELERY_TASK_QUEUES' order: see below
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control, in whatever directory Rabta runs from
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# Two queues, taken in this order by every worker not given -Q: the default one (intake, clocks,
# sweepers), then `notify` (e-mail and SMS delivery). In a burst the messages are stored, triaged
# and routed first; each case's notifications are already in the outbox and in the consoles, and
# go out by e-mail and SMS once the intake queue is empty. A worker with `-Q notify` on another
# machine sends them alongside (docs/operations.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)  # type: ignore[no-untyped-call]
    for name in ("celery", "notify")
]
CELERY_TASK_ROUTES = {"notify.*": {"queue": "notify"}}
# Publishing must not hold a web request for long when the broker is down: the row is committed
# and pending, and the sweeper queues it again (see rabta.intake.actions.enqueue).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes a prefork child's whole connection pool after every task, so each
# task paid for a new PostgreSQL session (a fork on the server: at intake volume a third of the
# machine). This turns that off; rabta/celery.py hands the connection back to the child's own pool
# after each task instead, and the pool checks it before the next (CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_ALWAYS_EAGER = _env_bool("RABTA_CELERY_EAGER", TESTING)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-pending-events": {"task": "intake.sweep_pending_events", "schedule": 30.0},
    "sweep-outbox": {"task": "notify.sweep_outbox", "schedule": 30.0},
    "check-clocks": {"task": "cases.check_clocks", "schedule": 60.0},
}

# Outbound notifications
DEFAULT_FROM_EMAIL = os.environ.get("RABTA_FROM_EMAIL", "rabta@localhost")
EMAIL_HOST = os.environ.get("RABTA_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("RABTA_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("RABTA_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RABTA_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("RABTA_SMTP_TLS", False)
EMAIL_TIMEOUT = 10
if EMBEDDED and not os.environ.get("RABTA_SMTP_HOST"):
    # The embedded demo has no mail server: messages are written under ./var/mail instead.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# Fair auto-assignment inside a desk: no officer gets more open cases than this from the robin.
RABTA_DESK_CAP = int(os.environ.get("RABTA_DESK_CAP", "30"))
# Public replies that wait for a supervisor's approval before they reach the citizen: "off" (none),
# "operators" (those of media cell operators and desk officers; supervisors, the director, DPOs,
# RPOs and PIOs send directly) or "all" (everyone's, approved by another supervisor).
RABTA_REPLY_APPROVAL = os.environ.get("RABTA_REPLY_APPROVAL", "").strip().lower() or "operators"
if RABTA_REPLY_APPROVAL not in {"off", "operators", "all"}:
    raise ImproperlyConfigured(f"RABTA_REPLY_APPROVAL={RABTA_REPLY_APPROVAL!r} is not known: set it to off, operators (the default) or all.")
RABTA_SMS_GATEWAY_URL = os.environ.get("RABTA_SMS_GATEWAY_URL", "")
RABTA_SMS_GATEWAY_TOKEN = os.environ.get("RABTA_SMS_GATEWAY_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "rabta.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("RABTA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
