"""Settings shared by every environment. Everything that differs is read from the environment."""

import base64
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-only-key-change-me")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# The public origin of the site: canonical URLs, Open Graph images and feeds are absolute.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Ketamine Association"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ketamine_association.core",
    "ketamine_association.articles",
    "ketamine_association.directory",
    "ketamine_association.newsletter",
    "ketamine_association.association",
    "ketamine_association.practitioners",
    "ketamine_association.consultations",
    "ketamine_association.editorial",
    "simple_history",
    # Before allauth: its templates here override allauth's (the site's own look).
    "ketamine_association.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ketamine_association.core.ratelimit.RetryAfterMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ketamine_association.accounts.middleware.AdminRequiresMfaMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "ketamine_association.core.context_processors.site",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict:
    """DATABASE_URL selects PostgreSQL; without it, an embedded SQLite file tuned for a web app."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = sqlite_options()
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite,
        "OPTIONS": sqlite_options(),
    }


def sqlite_options() -> dict:
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked".
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-20000;"
        ),
    }


DATABASES = {"default": database_from_env(VAR_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ketamine-association",
    }
}
if os.environ.get("CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
        "OPTIONS": {"IGNORE_EXCEPTIONS": True},
    }
DJANGO_REDIS_IGNORE_EXCEPTIONS = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password guessing: django-axes locks a login out per account and, separately, per client
# address after AXES_FAILURE_LIMIT wrong passwords, for AXES_COOLOFF_TIME; the answer is our
# page with 429 and Retry-After (core/ratelimit.py). A right password during the lockout fails.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ketamine_association.core.ratelimit.lockout_response"
AXES_CLIENT_IP_CALLABLE = "ketamine_association.core.ratelimit.client_ip"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "email", "password"]

# Where a login without a safe `next` lands (Django's default, /accounts/profile/, is a 404):
# the practitioner's dashboard. The admin's own login keeps its `next` (/admin/ by default);
# allauth's adapter sends staff without a `next` to /admin/ (accounts/adapter.py).
LOGIN_REDIRECT_URL = "accounts:dashboard"  # a URL name: the one home of the address
LOGIN_URL = "/accounts/login/"

# Practitioner accounts (django-allauth, ketamine_association/accounts/): sign-up with email
# and password, a mandatory verified address (a link by mail, through the task queue: the
# adapter hands every allauth mail to core.mail.send_transactional), login by email, password
# reset, change of email with re-verification, and allauth's own rate limits (its defaults,
# counted in the default cache; login failures: 5 a minute per address and account, 10 per
# 5 minutes per IP). allauth rotates the session key at login (django.contrib.auth.login).
ACCOUNT_ADAPTER = "ketamine_association.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # the link shows a button; opening it changes nothing
ACCOUNT_CHANGE_EMAIL = True  # one address per account; a new one is verified before it counts
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None  # "Remember me" on the login form
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ketamine Association] "
# Second factor (allauth.mfa): TOTP apps and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# The admin asks a staff account for a TOTP authenticator (accounts/middleware.py): on in
# production, off in local development and tests unless ADMIN_REQUIRES_MFA=1.
ADMIN_REQUIRES_MFA = env_bool("ADMIN_REQUIRES_MFA", False)

# Behind one trusted proxy: the META key of its client-address header, e.g.
# HTTP_X_FORWARDED_FOR (its last hop is used). Empty: REMOTE_ADDR. Rate limits and login
# lockouts count per client address.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
# Seconds a 429 asks a client to wait when the limit that refused it does not say.
RETRY_AFTER_DEFAULT = 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Article images: `import_articles --images DIR` copies the images that articles use here,
# and the site serves them under /images/articles/.
ARTICLE_IMAGES_ROOT = Path(os.environ.get("ARTICLE_IMAGES_ROOT", VAR_DIR / "images" / "articles"))
ARTICLE_IMAGES_URL = "/images/articles/"
# Days a signed preview link of a manuscript (editorial/preview.py) keeps working.
EDITORIAL_PREVIEW_DAYS = int(os.environ.get("EDITORIAL_PREVIEW_DAYS", "7"))
# Social cards drawn at import (articles/cards.py); SOCIAL_CARDS=0 turns the drawing off.
SOCIAL_CARDS = os.environ.get("SOCIAL_CARDS", "1") not in ("0", "false", "")

# URLs per sitemap file; above it /sitemap.xml becomes a sitemap index (the protocol's limit).
SITEMAP_LIMIT = 50_000

# Seconds a rendered public page stays in the cache; a re-import invalidates it at once.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Outgoing mail: any SMTP relay, configured with Django's own names.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Ketamine Association <newsletter@ketamineassociation.org>"
)

# Transactional mail (core/mail.py) goes through the task queue: the database backend, run by
# `manage.py db_worker`. TASKS_BACKEND names another django-tasks backend (a bigger site's
# queue; django_tasks.backends.immediate.ImmediateBackend sends in the request, once).
# A mail the relay does not take is tried again after 1 min, then each wait 4 times longer
# (at most MAIL_RETRY_MAX_SECONDS), MAIL_RETRY_ATTEMPTS attempts in all: 8 over about 22 h.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}


# Personal data encrypted at rest (core/crypto.py): Fernet keys, the first encrypting, all
# decrypting (rotation: put a new key first, run `manage.py rotate_field_keys`, drop the old).
# Production refuses to start without them; local and test settings make a key in var/.
def local_field_key(var_dir: Path) -> str:
    """This machine's key (development and tests only), made once and kept in var/."""
    path = var_dir / "field-encryption.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return key


# local.py and test.py fall back to local_field_key(); production.py refuses to start.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
# The key of the keyed hashes that stand in for encrypted values in equality lookups.
FIELD_HASH_KEY = os.environ.get("FIELD_HASH_KEY", SECRET_KEY)

# Consultation requests (consultations/): a request is deleted this many days after it was
# booked, found not a fit or closed, and in any case this many days after it was sent; the
# privacy page states both. One address may send CONSULTATION_RATE_PER_IP forms an hour; one
# provider receives at most CONSULTATION_RATE_PER_PROVIDER requests an hour.
CONSULTATION_RETENTION_DAYS_AFTER_FINISHED = int(
    os.environ.get("CONSULTATION_RETENTION_DAYS_AFTER_FINISHED", "30")
)
CONSULTATION_RETENTION_DAYS = int(os.environ.get("CONSULTATION_RETENTION_DAYS", "180"))
CONSULTATION_RATE_PER_IP = int(os.environ.get("CONSULTATION_RATE_PER_IP", "5"))
CONSULTATION_RATE_PER_PROVIDER = int(os.environ.get("CONSULTATION_RATE_PER_PROVIDER", "30"))

# The privacy page's path (a content page in demo/pages): forms and mails link to it.
PRIVACY_PAGE_PATH = "/privacy"

# The daily jobs (core/schedule.py: purges, license expiry and reminders) run at this UTC time.
DAILY_JOBS_AT = os.environ.get("DAILY_JOBS_AT", "03:30")
MAIL_RETRY_ATTEMPTS = int(os.environ.get("MAIL_RETRY_ATTEMPTS", "8"))
MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "60"))
MAIL_RETRY_MAX_SECONDS = float(os.environ.get("MAIL_RETRY_MAX_SECONDS", str(8 * 3600)))

# The contact form (/contact): the staff notice of each message goes to CONTACT_STAFF_EMAIL
# (Reply-To: the sender); one client address may send CONTACT_RATE_PER_IP messages an hour.
CONTACT_STAFF_EMAIL = os.environ.get("CONTACT_STAFF_EMAIL", "contact@ketamineassociation.org")
CONTACT_RATE_PER_IP = int(os.environ.get("CONTACT_RATE_PER_IP", "5"))

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Every handler carries the redaction filter: no email, IP, phone or personal field reaches a
# log line (core/logging.py; a test checks every configured handler).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "ketamine_association.core.logging.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults would add handlers of their own (mail_admins, a DEBUG console).
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
