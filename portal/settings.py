"""Settings for Compound Portal, read from the environment.

With no environment at all the portal runs embedded: SQLite in the project folder, Celery
tasks run eagerly in the web process, DEBUG on and a development secret generated once
into ``var/``. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3), ``CELERY_BROKER_URL``
to Redis with real workers, and ``DJANGO_ENV=production`` demands everything a deployment
needs and refuses to start without it.
"""

import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"

# Variables a production deployment cannot do without.
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "KEY_ENCRYPTION_SECRET",
    "AUDIT_HMAC_KEY",
)
# Secrets shorter than this are refused in production: they could be guessed offline.
MIN_SECRET_LENGTH = 32
if PRODUCTION:
    missing = [name for name in PRODUCTION_REQUIRED if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs these environment variables: "
            + ", ".join(missing)
            + " / 生产模式缺少以下环境变量："
            + "、".join(missing)
        )
    short = [
        name
        for name in ("SECRET_KEY", "KEY_ENCRYPTION_SECRET", "AUDIT_HMAC_KEY")
        if len(env.str(name)) < MIN_SECRET_LENGTH
    ]
    if short:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs secrets of at least {MIN_SECRET_LENGTH} characters: "
            + ", ".join(short)
            + f" / 生产模式下以下密钥不得短于 {MIN_SECRET_LENGTH} 个字符："
            + "、".join(short)
        )


def _development_secret() -> str:
    """A per-checkout secret, generated once, so no secret ever sits in the repository."""
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret()
# Private signing keys of the agreements' CA are encrypted at rest with this secret.
KEY_ENCRYPTION_SECRET = env.str("KEY_ENCRYPTION_SECRET", default="") or SECRET_KEY
# The audit log's entries and checkpoints carry an HMAC with this key, which is never stored
# in the database, so rewriting the chain needs more than database access. Embedded mode
# derives it from SECRET_KEY; production requires its own. Changing it invalidates the log.
AUDIT_HMAC_KEY = (
    env.str("AUDIT_HMAC_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"compound-portal audit chain", hashlib.sha256).hexdigest()
)
# A signed checkpoint (entry count and head hash) is written every this many entries and
# daily by beat; verify_audit reports a log that is behind its latest checkpoint.
AUDIT_CHECKPOINT_EVERY = env.int("AUDIT_CHECKPOINT_EVERY", default=100)
# Optional folder outside the database (a volume shared by web, worker and beat, ideally
# append-only or shipped off the host) where every checkpoint is also appended.
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="")
# Reverse proxies in front of the portal that append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and X-Forwarded-For is ignored; 1 behind one nginx, etc. Used by the API
# throttles and the login lockout alike (portal.auth.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Lifetime of an API token from its issue; an expired token answers 401 and is deleted.
API_TOKEN_LIFETIME = timedelta(hours=env.int("API_TOKEN_LIFETIME_HOURS", default=24))
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute address used in QR codes and e-mails, e.g. https://portal.example.cn
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Old values of KEY_ENCRYPTION_SECRET that stored keys may still be encrypted with.
KEY_ENCRYPTION_SECRET_FALLBACKS = env.list("KEY_ENCRYPTION_SECRET_FALLBACKS", default=[])
# How many months ahead of today a billing period may start.
FEES_MAX_MONTHS_AHEAD = env.int("FEES_MAX_MONTHS_AHEAD", default=12)
# A fee notice's due date (缴费期限): this many days after the period starts, or after the
# notice is printed if that is later.
FEES_NOTICE_DUE_DAYS = env.int("FEES_NOTICE_DUE_DAYS", default=30)
# A prepayment covers at most the arrears plus this many months of the unit's current fee.
FEES_MAX_PREPAID_MONTHS = env.int("FEES_MAX_PREPAID_MONTHS", default=36)
# A billing run reads, plans and writes this many units at a time (all in one transaction),
# so its memory does not grow with the compound.
FEES_BILLING_BATCH_UNITS = env.int("FEES_BILLING_BATCH_UNITS", default=2000)
# Roster files: the upload as sent, and an XLSX archive's members unpacked (spreadsheet bombs).
ROSTER_MAX_UPLOAD_BYTES = env.int("ROSTER_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
ROSTER_MAX_UNPACKED_BYTES = env.int("ROSTER_MAX_UNPACKED_BYTES", default=40 * 1024 * 1024)
# A building's fee notices are printed in parts of at most this many households (joined
# into the building's file), so a print task's memory and time do not grow with a building.
FEES_NOTICE_PART_SIZE = env.int("FEES_NOTICE_PART_SIZE", default=100)
# Test hook, never set in production (ignored there): seconds each notice chunk sleeps
# before rendering, so the restart-safety test can kill a real worker mid-chunk. The
# worker subprocess reads it from its environment once, here.
FEES_CHUNK_DELAY_FOR_TESTS = (
    0.0 if PRODUCTION else env.float("FEES_CHUNK_DELAY_FOR_TESTS", default=0.0)
)
# Largest PDF the public agreement verifier accepts.
AGREEMENT_VERIFY_MAX_BYTES = env.int("AGREEMENT_VERIFY_MAX_BYTES", default=10 * 1024 * 1024)
# How many months after its owners' decision (the counting date) an agreement's term may
# start; a later term needs a new decision.
AGREEMENT_MAX_MONTHS_AFTER_DECISION = env.int("AGREEMENT_MAX_MONTHS_AFTER_DECISION", default=6)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "portal",
    "households",
    "fees",
    "voting",
    "agreements",
    "works",
    "tickets",
    "board",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A one-time password must be changed before any other page (portal/first_login.py).
    "portal.first_login.FirstLoginMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode's task thread writes while requests do: wait for the lock instead
    # of failing, and take it at the start of a transaction (no deadlocked upgrades).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # Covering indexes (INCLUDE columns, e.g. the hotline rates' index) are PostgreSQL's;
    # SQLite builds them on their key columns, which is all the embedded mode needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # PostgreSQL's default cost of a random page read (4) models spinning disks; the
    # portal's working set is in memory or on SSD, where an index probe costs about what a
    # sequential read does (PostgreSQL's documentation suggests ~1.1 there). With 4 the
    # planner hashed every roll entry of the compound to pick one building's unvoted
    # units (10 ms at 50,000 units, 1.8 ms with 1.1: bench/voting_pages.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c random_page_cost={env.float('DATABASE_RANDOM_PAGE_COST', default=1.1)}"
    )
# The reads of the pages opened most run as prepared statements on PostgreSQL (portal/db.py):
# planning them cost the database more than running them. Turn off (0) behind a
# transaction-pooling PgBouncer older than 1.21, which cannot keep them.
PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's password hashers, then the hasher of one-time code secrets (portal.hashers): a
# hash is checked by the hasher named in it, and new passwords always take the first.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "portal.hashers.CodeHasher",
]
# How long a printed activation code (开通码) and a reset code stay valid.
ACTIVATION_CODE_DAYS = env.int("ACTIVATION_CODE_DAYS", default=30)
RESET_CODE_HOURS = env.int("RESET_CODE_HOURS", default=24)
# Failed reset-code attempts one client address may make per hour (portal/resets.py).
RESET_CODE_FAILURES_PER_HOUR = env.int("RESET_CODE_FAILURES_PER_HOUR", default=10)
# E-mail (django-environ's URL form, e.g. smtp+tls://user:pass@host:587 or, in the demo,
# consolemail://). Unset: no mail is sent and the reset-by-mail pages do not exist; people
# reset their password with a code from their committee or street office.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
# Activation (households.services.activation): a code locks after this many wrong tries;
# an address with ACTIVATION_ADDRESS_LIMIT wrong tries within the window is refused (kept
# generous: many homes share one carrier address).
ACTIVATION_MAX_ATTEMPTS = env.int("ACTIVATION_MAX_ATTEMPTS", default=5)
ACTIVATION_ADDRESS_LIMIT = env.int("ACTIVATION_ADDRESS_LIMIT", default=20)
ACTIVATION_ADDRESS_WINDOW_MINUTES = env.int("ACTIVATION_ADDRESS_WINDOW_MINUTES", default=60)
# A claim's photo of the property certificate (JPEG/PNG), before re-encoding.
CLAIM_PHOTO_MAX_BYTES = env.int("CLAIM_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# The largest works project document (contract, acceptance report, invoice) accepted.
WORKS_DOCUMENT_MAX_BYTES = env.int("WORKS_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout backend first: it refuses a locked-out account or address before any
# password is checked (django-axes).
AUTHENTICATION_BACKENDS = [
    "portal.auth.LockoutBackend",
    # Django's ModelBackend, reading a session's user with their memberships in one
    # statement (issue 10, item 6).
    "portal.session_user.UserBackend",
]
# Lockout (django-axes): after LOGIN_FAILURE_LIMIT failed logins within the cool-off, the
# account and, separately, the client address are refused for LOGIN_COOLOFF_MINUTES, on the
# login page and the token endpoint alike (even with the right password).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "portal.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.auth.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins need no second log with addresses
AXES_VERBOSE = False
LOGIN_URL = "login"
# Each role lands on its own page after login (portal/landing.py); ?next= still wins.
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its scheme goes into WWW-Authenticate, so a missing, bad or expired
        # token answers 401 (a refusal for lack of credentials), not 403. Expiring tokens
        # read with their user and memberships in one statement (portal/token_auth.py).
        "portal.token_auth.UserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.Pagination",
    "PAGE_SIZE": 100,
    # Without it DRF trusts any X-Forwarded-For, and rotating it escapes every throttle.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Compound Portal API",
    "DESCRIPTION": "老旧小区物业转型平台 API v1. Every path is scoped to the caller's compounds.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operation ids and tags from the path after the version: compounds_units_list, …
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI would otherwise send the schema to validator.swagger.io: nothing leaves.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Choice sets sharing a field name ("state": a decision's, an alert's) get their own names.
    "ENUM_NAME_OVERRIDES": {
        "AlertStateEnum": "board.models.AlertState",
        "ProjectStatusEnum": "works.models.ProjectStatus",
        "FundingKindEnum": "works.models.FundingKind",
        "ProjectDocumentKindEnum": "works.models.DocumentKind",
        "RequestStateEnum": "tickets.models.State",
        "RequestChannelEnum": "tickets.models.Channel",
        "RequestPartyEnum": "tickets.models.Party",
    },
}

# Celery: eager in the embedded mode, a real broker and workers when CELERY_BROKER_URL is set.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
# Embedded mode (no broker): "thread" runs a web process's tasks in a background thread
# so pages return at once and show progress (portal/background.py); "eager" runs them
# inside the request. Tests and management commands always run them inline.
PORTAL_EMBEDDED_TASKS = env.str("PORTAL_EMBEDDED_TASKS", default="thread")
if PORTAL_EMBEDDED_TASKS not in ("thread", "eager"):
    raise ImproperlyConfigured('PORTAL_EMBEDDED_TASKS must be "thread" or "eager"')
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"*.render_*": {"queue": "pdf"}}
# The longest task (a large building's notices, a tally report) must end within this; the
# worker stops it after the soft limit and kills it at the hard one.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Redis hands a task whose worker died (never acknowledged) to another worker after this.
# It must outlast the longest task, or a slow task would run twice; Redis's default is
# one hour, which left a killed worker's notices waiting that long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300)
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT")
# A notice print job's worker renews its claim every FEES_NOTICE_HEARTBEAT_SECONDS; a claim
# silent for FEES_NOTICE_LEASE_SECONDS is stalled and queued again.
FEES_NOTICE_HEARTBEAT_SECONDS = env.float("FEES_NOTICE_HEARTBEAT_SECONDS", default=15)
FEES_NOTICE_LEASE_SECONDS = env.float("FEES_NOTICE_LEASE_SECONDS", default=90)
if FEES_NOTICE_LEASE_SECONDS < 3 * FEES_NOTICE_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "FEES_NOTICE_LEASE_SECONDS must be at least 3 × FEES_NOTICE_HEARTBEAT_SECONDS"
    )
# Other building print files (activation letters, households.printing) print in parts of
# PRINT_PART_SIZE households with the notices' heartbeat and lease unless set.
PRINT_PART_SIZE = env.int("PRINT_PART_SIZE", default=FEES_NOTICE_PART_SIZE)
PRINT_HEARTBEAT_SECONDS = env.float(
    "PRINT_HEARTBEAT_SECONDS", default=FEES_NOTICE_HEARTBEAT_SECONDS
)
PRINT_LEASE_SECONDS = env.float("PRINT_LEASE_SECONDS", default=FEES_NOTICE_LEASE_SECONDS)
if PRINT_LEASE_SECONDS < 3 * PRINT_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("PRINT_LEASE_SECONDS must be at least 3 × PRINT_HEARTBEAT_SECONDS")
# Test hook like FEES_CHUNK_DELAY_FOR_TESTS, for the other print jobs (ignored in production).
PRINT_CHUNK_DELAY_FOR_TESTS = (
    0.0 if PRODUCTION else env.float("PRINT_CHUNK_DELAY_FOR_TESTS", default=0.0)
)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-requests": {
        "task": "tickets.tasks.escalate_overdue_requests",
        "schedule": 15 * 60,
    },
    "notify-due-soon-requests": {
        "task": "tickets.tasks.notify_due_soon_requests",
        "schedule": 15 * 60,
    },
    "audit-checkpoint-daily": {
        "task": "portal.tasks.audit_checkpoint",
        "schedule": 24 * 60 * 60,
    },
    "expire-agreements-daily": {
        "task": "agreements.tasks.expire_agreements",
        "schedule": 24 * 60 * 60,
    },
    "requeue-stalled-notice-chunks": {
        "task": "fees.tasks.requeue_stalled_notice_chunks",
        "schedule": 60,
    },
    "requeue-stalled-letter-chunks": {
        "task": "households.tasks.requeue_stalled_letter_chunks",
        "schedule": 60,
    },
    "requeue-stalled-works-notice-chunks": {
        "task": "works.tasks.requeue_stalled_contribution_notice_chunks",
        "schedule": 60,
    },
    "expire-list-exports-hourly": {
        "task": "portal.tasks.expire_exports",
        "schedule": 60 * 60,
    },
    # The board's deadlines (issue 12): open, update and resolve alerts once a day.
    "board-alerts-daily": {
        "task": "board.tasks.refresh_alerts",
        "schedule": 24 * 60 * 60,
    },
}
# A list export of more rows than this is written in the background (portal.exports).
EXPORT_INLINE_ROWS = env.int("EXPORT_INLINE_ROWS", default=5000)

# Throttles (token issue, signing passwords) count in the cache: it must be shared by all
# web processes, so real mode uses Redis (CACHE_URL, else the broker's Redis).
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif PRODUCTION and CELERY_BROKER_URL.startswith("redis"):
    CACHES = {
        "default": {
            # Django's, reusing its Redis client (every signed-in page reads the session).
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
            "KEY_PREFIX": "portal-cache",
        }
    }

# Sessions are read on every logged-in request: from the shared cache when there is one
# (Redis), written through to the database (cached_db), so a page costs no session query.
# A cache private to each process (locmem) would let a session ended in one web process
# live on in another, so without a shared cache sessions are read from the database.
SHARED_CACHE = "CACHES" in globals() and CACHES["default"]["BACKEND"].endswith(
    ("RedisCache", "PyMemcacheCache", "PyLibMCCache")
)
if SHARED_CACHE:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Content-Security-Policy (django-csp): scripts only from this site or with the request's
# nonce (``nonce="{{ request.csp_nonce }}"``); styles may be inline (the bar charts are
# widths in style attributes); nothing is framed, nothing posted elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page of the portal uses (portal.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
