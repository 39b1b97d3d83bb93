"""Settings of Black January Memorial, read from the environment (django-environ).

``DJANGO_ENV`` is ``production`` unless something says otherwise: the Makefile sets
``development`` for ``make run`` and the test settings set ``test``. Production refuses to start
with no real secret key or with ``DEBUG`` on. See ``.env.example`` for every variable.
"""

import datetime
import hashlib
import hmac
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from common import localdb, siteurl
from memorial import proxies

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

ENVIRONMENT = env.str("DJANGO_ENV", default="production")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, test or production.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=ENVIRONMENT == "development")

DEVELOPMENT_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a long random value in production (at least 40 characters; "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' makes one)."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
elif not SECRET_KEY:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    # Django (modeltranslation must come before the admin)
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    # Third party
    "ninja",  # the public API's docs page, from its own static files (no CDN)
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Local
    "memorial",
    "victims",
    "contributions",
]

MIDDLEWARE = [
    # First: forwarded headers count only from a trusted proxy (SecurityMiddleware reads the scheme).
    "memorial.proxies.ForwardedHeadersMiddleware",
    # Outermost on the way out: a HEAD answer loses its body after Content-Length was set.
    "memorial.security.HeadWithoutBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "memorial.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # With DATABASE_REPLICA_URL: anonymous public requests read from the replica while it is in sync.
    "common.replica.PublicReadsFromReplicaMiddleware",
    # The public API: rate limit, CORS, conditional GET and its own cache, before anything per visitor.
    "victims.api.http.PublicApiMiddleware",
    # Before sessions, translation and authentication: a cached public page skips them all.
    "victims.caching.PublicPageCacheMiddleware",
    # An anonymous GET of a public page, rendered: skips PER_VISITOR_MIDDLEWARE below (common/shortpath.py).
    "common.shortpath.PublicShortPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "memorial.security.RequireTwoFactorMiddleware",
    "memorial.security.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# What a public page (victims.caching.public_page) asked for with GET or HEAD by a visitor with no
# session or messages cookie does not need: there is no session to load, no user signed in, no form
# to check, no second factor, no sign-in attempt and nothing written. Every other request, the admin,
# the staff pages, the contribution forms, sign-in and the API among them, runs all of MIDDLEWARE.
PER_VISITOR_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "memorial.security.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "memorial.context_processors.site",
            ],
            # {% url %} through common.reversing.cached_reverse: the same URLs, reversed once per
            # language, script prefix, URLconf and arguments (bench/README.md, "URL reversing").
            "builtins": ["common.reversing"],
        },
    },
]

# --- Database: DATABASE_URL, or the project's own PostgreSQL cluster ------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=localdb.Cluster(localdb.cluster_root(BASE_DIR)).url)}
# A Unix socket folder is written percent-encoded in the URL's host part.
DATABASES["default"]["HOST"] = unquote(str(DATABASES["default"].get("HOST", "")))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Short queries only: on a small server the start-up of parallel workers cost more than the query
# (an event page's people: 25 ms with two workers, 8 ms without). DATABASE_PARALLEL_QUERY=true
# leaves PostgreSQL's own setting.
if not env.bool("DATABASE_PARALLEL_QUERY", default=False):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c max_parallel_workers_per_gather=0")
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_memorial")}
# A streaming replica of the primary for public reads (common/replica.py): the admin, the staff
# pages and every write stay on the primary, and a lagging or absent replica is not read.
if DATABASE_REPLICA_URL := env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **{key: value for key, value in DATABASES["default"].items() if key != "TEST"},
        **environ.Env.db_url_config(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["HOST"] = unquote(str(DATABASES["replica"].get("HOST", "")))
    DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches: per-process memory; the public pages are kept per registry generation -----------
# Every key of both caches carries the registry's generation, so a change never serves stale
# content. PAGE_CACHE_URL can point the page cache at a shared backend (e.g. memcached).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "memorial-default"},
    "pages": env.cache_url("PAGE_CACHE_URL", default="locmemcache://memorial-pages"),
}
if CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
    CACHES["pages"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", env.int("PAGE_CACHE_ENTRIES", default=1000))
# Several application servers share the page cache, the derived counts, rate limits and sessions
# through Redis (common/cache.py: while Redis is away, the site serves without it).
if REDIS_URL := env.str("REDIS_URL", default=""):
    _redis = {
        "BACKEND": "common.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
    }
    CACHES = {"default": {**_redis, "KEY_PREFIX": "memorial"}, "pages": {**_redis, "KEY_PREFIX": "memorial-pages"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The layout's pieces that depend only on the language and the kind of page (the header's navigation,
# the footer: {% cache ... using="fragments" %}), rendered once per process: they change only with a
# deploy, which starts new processes. Not kept under DEBUG, so that an edited template shows at once.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "memorial-fragments",
}
# Off by default under DEBUG: a template edited during development shows on the next request.
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=not DEBUG)
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=24 * 60 * 60)
# Larger pages are not kept (a 5,000-URL sitemap section is 3 MB): entries x this bounds the memory.
PAGE_CACHE_MAX_ENTRY_BYTES = env.int("PAGE_CACHE_MAX_ENTRY_BYTES", default=512 * 1024)
# How long a worker trusts the generation it read: a change made by another process shows on
# the public pages within this many seconds (a change made in the same process, at once).
REGISTRY_GENERATION_TTL = env.float("REGISTRY_GENERATION_TTL", default=1.0)

# A change reason (a withdrawal's or a deletion's, as the editor wrote it) is free text, not 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Authentication -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Where a sign-in goes when its "next" is missing or points elsewhere (the site has no profile page).
LOGIN_REDIRECT_URL = "admin:index"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# Only staff sign in: their session ends with the browser, and after 8 hours at most.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: lock an account from one address after repeated failed sign-ins. Off by default in
# the test settings (Django's test client signs in without a request); tests of it turn it on.
AXES_ENABLED = env.bool("AXES_ENABLED", default=ENVIRONMENT != "test")
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "memorial.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "memorial.security.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # keep failed sign-ins in the audit even after a success resets the count
AXES_VERBOSE = False
# Two-factor authentication (django-otp, TOTP + backup codes): required for every staff account
# in production, optional elsewhere (memorial.security.RequireTwoFactorMiddleware).
MEMORIAL_REQUIRE_2FA = env.bool("MEMORIAL_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = "Black January Memorial"

# --- Languages and time -----------------------------------------------------------------------
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="az")
LANGUAGES = [("az", _("Azerbaijani")), ("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Baku")
USE_I18N = True
USE_TZ = True

MODELTRANSLATION_DEFAULT_LANGUAGE = "az"
MODELTRANSLATION_LANGUAGES = ("az", "en", "ru")
# Fallback is chosen per record (its original language) in memorial.translation; the
# modeltranslation fallback covers admin lists and other places that read the plain field.
MODELTRANSLATION_FALLBACK_LANGUAGES = ("az", "en", "ru")

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Originals of uploaded photos are kept out of MEDIA_ROOT: never served, never listable.
PRIVATE_MEDIA_ROOT = Path(env.str("DJANGO_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and ENVIRONMENT != "test"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Media in S3-compatible buckets when MEDIA_S3_BUCKET is set (django-storages): renditions in one
# bucket, the private originals in another. Neither bucket is public: renditions are still served
# at /media/ by the application (or nginx on its word), which answers 404 for a person who is not
# published; a public bucket would keep a withdrawn person's photos reachable.
if MEDIA_S3_BUCKET := env.str("MEDIA_S3_BUCKET", default=""):
    _s3 = {
        "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("MEDIA_S3_REGION", default="us-east-1"),
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "default_acl": None,
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "common.storage.MediaS3Storage",
        "OPTIONS": {**_s3, "bucket_name": MEDIA_S3_BUCKET, "querystring_auth": False},
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3, "bucket_name": env.str("PRIVATE_S3_BUCKET"), "querystring_auth": True},
    }
# Behind nginx: the media view answers with X-Accel-Redirect to this internal location (local disk).
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")

# Where ``manage.py backup`` writes its dated folders (database dump, media, manifest).
BACKUP_ROOT = Path(env.str("DJANGO_BACKUP_ROOT", default=str(BASE_DIR / "var" / "backups")))
# Set: backups are written encrypted with this key (memorial.backups; manage.py backup --new-key).
BACKUP_KEY = env.str("MEMORIAL_BACKUP_KEY", default="")
PHOTO_MAX_UPLOAD_BYTES = env.int("PHOTO_MAX_UPLOAD_BYTES", default=15 * 1024 * 1024)
# Decoding a photo takes memory in proportion to its pixels: at most 9 bytes a pixel (measured,
# victims/images.py: two 4-byte copies while an EXIF rotation is applied, plus the small
# renditions), so each worker's budget for one upload decides the pixel limit (256 MB: 29.8
# million pixels). A larger JPEG is decoded at a half, quarter or eighth of its size instead.
PHOTO_DECODE_MEMORY_MB = env.int("PHOTO_DECODE_MEMORY_MB", default=256)
PHOTO_DECODE_BYTES_PER_PIXEL = 9
PHOTO_MAX_PIXELS = PHOTO_DECODE_MEMORY_MB * 1024 * 1024 // PHOTO_DECODE_BYTES_PER_PIXEL
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A photo over PHOTO_MAX_UPLOAD_BYTES stops being stored as it arrives (victims.uploads).
FILE_UPLOAD_HANDLERS = [
    "victims.uploads.PhotoSizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (Django's own middleware): no inline script or style without the
# per-request nonce (templates: {% csp_nonce_attr %} or {{ csp_nonce }}), nothing from elsewhere.
# Photo renditions get a stricter policy of their own (memorial.views.media).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Off only for a plain-HTTP stack on loopback (make stack); production keeps both on.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
# Load balancers probe over plain HTTP: the health checks answer there instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# Forwarded headers (X-Forwarded-For, X-Forwarded-Proto, ...) are believed only from these
# addresses or networks ("unix": gunicorn's Unix socket); from anyone else they are dropped
# (memorial.proxies, and gunicorn.conf.py for gunicorn's own scheme check). Behind a proxy on the
# same machine the default is right; gunicorn must listen only where the proxy reaches it.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1", "::1", "unix"] if BEHIND_PROXY else [])
try:
    proxies.parse_networks(TRUSTED_PROXIES)
except ValueError as error:
    raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {error}") from None
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Site ---------------------------------------------------------------------------------------
# The canonical origin: every absolute URL the site writes starts with it, never with the request's
# Host header (common.siteurl). Production needs it, with https unless the SSL redirect is off
# (a site deliberately served over plain HTTP, as the benchmarks do).
try:
    SITE_URL = siteurl.check_site_url(
        env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000"),
        require_https=PRODUCTION and SECURE_SSL_REDIRECT,
    )
except ValueError as error:
    raise ImproperlyConfigured(
        f"{error} Set SITE_URL to the site's public origin, e.g. https://memorial.example.org."
    ) from None
SITE_NAME = _("Black January Memorial")
CONTACT_EMAIL = env.str("MEMORIAL_CONTACT_EMAIL", default="curators@example.org")
# A documentation address (RFC 2606: example.org, .com, .net) is a mailbox nobody reads.
_contact_domain = CONTACT_EMAIL.rpartition("@")[2].lower().rstrip(".")
if PRODUCTION and any(
    _contact_domain == domain or _contact_domain.endswith(f".{domain}")
    for domain in ("example.org", "example.com", "example.net")
):
    raise ImproperlyConfigured(
        "MEMORIAL_CONTACT_EMAIL must be set in production: the site shows it to visitors, and "
        f"{CONTACT_EMAIL} is a documentation address that nobody reads."
    )

# Email to the senders of contributions: EMAIL_URL (django-environ: smtp://user:password@host:587,
# smtp+tls://..., consolemail://). make run prints them on the console.
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://")
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": {}}}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": _email["EMAIL_HOST"], "port": _email["EMAIL_PORT"], "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"], "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")), "timeout": env.int("EMAIL_TIMEOUT", default=10),
    }  # fmt: skip
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default=CONTACT_EMAIL)
# Contributions from visitors: submissions per address and hour (contributions.ratelimit).
CONTRIBUTIONS_PER_HOUR = env.int("CONTRIBUTIONS_PER_HOUR", default=5)
# Candles lit per address and hour (contributions.candles); one per person, browser and day anyway.
CANDLES_PER_HOUR = env.int("CANDLES_PER_HOUR", default=30)
# ALTCHA proof of work on the visitors' forms (contributions.proofofwork). Challenges are signed with
# ALTCHA_HMAC_KEY, by default derived from the secret key (changing either makes pending challenges
# invalid, nothing else); a solution counts once and expires after ALTCHA_EXPIRES_SECONDS. ALTCHA_COST
# is the PBKDF2 iterations per attempt (about 256 attempts: a second or so in a phone's browser).
ALTCHA_HMAC_KEY = env.str("ALTCHA_HMAC_KEY", default="") or hmac.new(
    SECRET_KEY.encode(), b"memorial.contributions.altcha", hashlib.sha256
).hexdigest()
if len(ALTCHA_HMAC_KEY) < 32:
    raise ImproperlyConfigured("ALTCHA_HMAC_KEY must be at least 32 characters (or unset: derived from the secret key).")
ALTCHA_COST = env.int("ALTCHA_COST", default=5000)
ALTCHA_EXPIRES_SECONDS = env.int("ALTCHA_EXPIRES_SECONDS", default=60 * 60)

# While the database is away, one line per this many seconds (memorial.security.DatabaseOutageLog).
DATABASE_OUTAGE_LOG_SECONDS = env.int("DATABASE_OUTAGE_LOG_SECONDS", default=60)

# --- Open data (the public API, feeds, the dataset) ------------------------------------------------
# Requests per address and window to /api/ (counted in the default cache, shared when it is).
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
# How long a browser or CDN may keep an API answer without asking again.
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=60)
# The licence of the published data (the API, the dataset): CC BY 4.0 unless named otherwise.
DATA_LICENCE_NAME = env.str("DATA_LICENCE_NAME", default="CC-BY-4.0")
DATA_LICENCE_TITLE = env.str("DATA_LICENCE_TITLE", default="Creative Commons Attribution 4.0 International")
DATA_LICENCE_URL = env.str("DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/")
# The downloadable dataset (victims.dataset): where its files are written, at most one new release per
# this many minutes (manage.py publish_dataset, e.g. from cron, writes one when the registry changed),
# and how many releases are kept.
DATASET_ROOT = Path(env.str("DATASET_ROOT", default=str(BASE_DIR / "var" / "opendata")))
DATASET_MIN_INTERVAL_MINUTES = env.int("DATASET_MIN_INTERVAL_MINUTES", default=60)
DATASET_KEEP = env.int("DATASET_KEEP", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_database_outage": {"()": "memorial.security.QuietDatabaseOutageFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["quiet_database_outage"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}
