"""Configuration read from the environment; tests pass overrides to create_app."""
import os
from datetime import timedelta
from typing import ClassVar


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Production defaults. Anything secret or machine-specific comes from the environment."""

    ENV_NAME = os.environ.get("PORTAL_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means "SQLite file in the instance folder", filled in by create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR")  # default: <instance>/evidence
    IMPORT_DIR = os.environ.get("IMPORT_DIR")  # default: <instance>/imports

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")
    # The campaign whose phases and targets the pages measure against.
    CAMPAIGN_CODE = os.environ.get("CAMPAIGN_CODE", "mangshi-2020")
    # Move today for a demonstration or a black-box test (development and testing only; the
    # portal refuses to start with either in production): a date, or days after the real one.
    PORTAL_TODAY = os.environ.get("PORTAL_TODAY")
    PORTAL_DAYS_AHEAD = os.environ.get("PORTAL_DAYS_AHEAD")
    # The address people reach the portal at (required in production, https): every address
    # that leaves the portal (certificate QR codes, invite and video join links, messages) is
    # built from it, never from the request's Host header. Behind a reverse proxy,
    # TRUSTED_PROXIES says how many proxies' X-Forwarded-* headers to believe.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "0")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    # A session ends after this long without a request, and in any case this long after login.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session lifetime instead

    # Roster files from townships can be large (50,000 rows ≈ 5 MB); keep a margin.
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 50) * 1024 * 1024
    ROSTER_MAX_ROWS = _int("ROSTER_MAX_ROWS", 50_000)
    # Checked in the workbook's package before anything is unpacked into memory.
    ROSTER_MAX_COLUMNS = _int("ROSTER_MAX_COLUMNS", 100)
    ROSTER_MAX_UNPACKED_MB = _int("ROSTER_MAX_UNPACKED_MB", 300)

    # Background jobs (docs/jobs.md): "inline" runs a job in the process that queued it, once
    # its request has committed (development, tests); "rq" puts it on a Redis queue for
    # `flask --app wsgi jobs worker`. Progress and results live in the database either way.
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "inline")
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "portal")
    # A running job writes its progress and a heartbeat this often; one without a heartbeat
    # for JOBS_STALE_SECONDS is marked failed (its worker died) and may be retried.
    JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS") or 2)
    JOBS_STALE_SECONDS = _int("JOBS_STALE_SECONDS", 120)
    # RQ stops a job running longer than this; the worker's upkeep runs this often.
    JOBS_TIMEOUT_SECONDS = _int("JOBS_TIMEOUT_SECONDS", 3600)
    JOBS_MAINTENANCE_SECONDS = _int("JOBS_MAINTENANCE_SECONDS", 30)
    # How long the file a job wrote for its user (an export, a batch of PDFs) is kept.
    JOB_FILES_KEEP_HOURS = float(os.environ.get("JOB_FILES_KEEP_HOURS") or 24)
    # Dashboard figures (portal/dashboards/refresh_jobs.py): how old they may be, and how long
    # after a change the refresh job waits for more; with jobs on a queue (or this set to 1) a
    # job computes them and a dashboard page only reads.
    DASHBOARD_MAX_AGE_SECONDS = _int("DASHBOARD_MAX_AGE_SECONDS", 300)
    DASHBOARD_REFRESH_DELAY_SECONDS = _int("DASHBOARD_REFRESH_DELAY_SECONDS", 10)
    DASHBOARD_REFRESH_IN_JOBS = os.environ.get("DASHBOARD_REFRESH_IN_JOBS")

    # Response compression (flask-compress): brotli when the browser accepts it, else gzip;
    # files sent as downloads and streamed responses pass through unchanged. nginx may
    # compress instead (deploy/nginx.conf): it leaves an already compressed answer alone.
    COMPRESS_ALGORITHM = "br,gzip"
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 1024
    COMPRESS_STREAMS = False
    COMPRESS_MIMETYPES = ("text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    # After LOGIN_MAX_FAILURES failures in a row an account answers only after a wait that
    # doubles with each further failure (from LOGIN_SLOWDOWN_SECONDS up to the maximum).
    LOGIN_SLOWDOWN_SECONDS = _int("LOGIN_SLOWDOWN_SECONDS", 30)
    LOGIN_SLOWDOWN_MAX_SECONDS = _int("LOGIN_SLOWDOWN_MAX_SECONDS", 900)
    # Roles that must use a TOTP second factor; wrong codes before the password is asked again.
    TOTP_REQUIRED_ROLES = ("city_admin", "supervisor", "doctor")
    TOTP_MAX_FAILURES = _int("TOTP_MAX_FAILURES", 5)

    # Video assessment: the media service (assessment_video), its shared signing secret, the
    # ICE servers (JSON list of {"urls", "username", "credential"}) given to browsers, and the
    # window around the session time in which a guardian's join link opens.
    MEDIA_SERVICE_URL = os.environ.get("MEDIA_SERVICE_URL", "http://127.0.0.1:8765")
    MEDIA_SHARED_SECRET = os.environ.get("MEDIA_SHARED_SECRET")
    # Several media nodes (docs/deploy.md): MEDIA_NODES lists "name=url" (or bare urls),
    # comma-separated; empty means the one node at MEDIA_SERVICE_URL. Nodes may also register
    # by heartbeat (assessment_video's MEDIA_PORTAL_URL); one silent for longer than
    # MEDIA_NODE_STALE_SECONDS is out of the pool and its live sessions are interrupted.
    MEDIA_NODES = os.environ.get("MEDIA_NODES", "")
    MEDIA_NODE_STALE_SECONDS = _int("MEDIA_NODE_STALE_SECONDS", 30)
    # Seconds between two checks of the pool by a job worker's upkeep (0: only by command).
    MEDIA_CHECK_SECONDS = _int("MEDIA_CHECK_SECONDS", 30)
    VIDEO_ICE_SERVERS = os.environ.get("VIDEO_ICE_SERVERS", "[]")
    VIDEO_JOIN_EARLY_MINUTES = _int("VIDEO_JOIN_EARLY_MINUTES", 30)
    VIDEO_JOIN_LATE_MINUTES = _int("VIDEO_JOIN_LATE_MINUTES", 120)
    VIDEO_MAX_BITRATE = _int("MEDIA_MAX_BITRATE", 600_000)
    VIDEO_DOCTOR_MAX_BITRATE = _int("MEDIA_DOCTOR_MAX_BITRATE", 150_000)
    # TURN (coturn with use-auth-secret): the TURN URLs given to browsers and the secret shared
    # with coturn (static-auth-secret). Each room page gets its own credentials, valid
    # TURN_CREDENTIAL_SECONDS (the TURN REST API); no TURN password is ever written in a page.
    TURN_URLS = os.environ.get("TURN_URLS", "")
    TURN_SHARED_SECRET = os.environ.get("TURN_SHARED_SECRET")
    TURN_CREDENTIAL_SECONDS = _int("TURN_CREDENTIAL_SECONDS", 4 * 3600)

    # Argon2id parameters (RFC 9106 second recommended option is 64 MiB, t=3).
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 64 * 1024)
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 2)

    # No withholding: days a certificate may wait at each step before it is listed as overdue.
    PRINT_DEADLINE_DAYS = _int("PRINT_DEADLINE_DAYS", 15)
    DISPATCH_DEADLINE_DAYS = _int("DISPATCH_DEADLINE_DAYS", 15)
    RECEIPT_DEADLINE_DAYS = _int("RECEIPT_DEADLINE_DAYS", 15)
    HANDOVER_DEADLINE_DAYS = _int("HANDOVER_DEADLINE_DAYS", 15)
    # Days back a date of something already done may be entered (with a reason): public notice,
    # notification, handover (portal/late_entry.py).
    LATE_ENTRY_DAYS = _int("LATE_ENTRY_DAYS", 7)
    # How long a guardian's invite link stays valid.
    GUARDIAN_INVITE_DAYS = _int("GUARDIAN_INVITE_DAYS", 7)
    # Public QR verification page, per client address.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    # The public page of a printed notice (公示), per client address: reading it, and sending
    # objections from it; the largest attachment an objection may carry.
    NOTICE_VIEW_RATE_LIMIT = os.environ.get("NOTICE_VIEW_RATE_LIMIT", "30 per minute")
    OBJECTION_RATE_LIMIT = os.environ.get("OBJECTION_RATE_LIMIT", "5 per hour")
    OBJECTION_ATTACHMENT_MAX_MB = _int("OBJECTION_ATTACHMENT_MAX_MB", 10)

    # Petitions (信访): the time limits of the 《信访工作条例》 (2022), in calendar days
    # (portal/domain/petition_deadlines.py); lists call a deadline "due soon" this many days
    # ahead; the public form's limit per client address.
    PETITION_ACCEPTANCE_DAYS = _int("PETITION_ACCEPTANCE_DAYS", 15)
    PETITION_ANSWER_DAYS = _int("PETITION_ANSWER_DAYS", 60)
    PETITION_EXTENSION_MAX_DAYS = _int("PETITION_EXTENSION_MAX_DAYS", 30)
    PETITION_REVIEW_REQUEST_DAYS = _int("PETITION_REVIEW_REQUEST_DAYS", 30)
    PETITION_REVIEW_ANSWER_DAYS = _int("PETITION_REVIEW_ANSWER_DAYS", 30)
    PETITION_DUE_SOON_DAYS = _int("PETITION_DUE_SOON_DAYS", 3)
    PETITION_PUBLIC_RATE_LIMIT = os.environ.get("PETITION_PUBLIC_RATE_LIMIT",
                                                "5 per hour;20 per day")

    # The doctor pool (portal/training, docs/training.md): assessments one doctor does in a
    # concentrated day (doctors needed = the day's places ÷ this), and how many days ahead the
    # pool looks for days short of doctors.
    ASSESSMENTS_PER_DOCTOR_PER_DAY = _int("ASSESSMENTS_PER_DOCTOR_PER_DAY", 20)
    DOCTOR_POOL_HORIZON_DAYS = _int("DOCTOR_POOL_HORIZON_DAYS", 90)

    PERSONS_PER_PAGE = 50
    # Counting is capped so that a township of 100,000 people lists as fast as one of 1,000.
    PERSONS_COUNT_CAP = 1_000

    # Evidence store: "local" (a folder, EVIDENCE_DIR) or "minio" (MinIO/S3 through `minio`).
    EVIDENCE_BACKEND = os.environ.get("EVIDENCE_BACKEND", "local")
    MINIO_ENDPOINT = os.environ.get("MINIO_ENDPOINT")  # host:port, no scheme
    MINIO_ACCESS_KEY = os.environ.get("MINIO_ACCESS_KEY")
    MINIO_SECRET_KEY = os.environ.get("MINIO_SECRET_KEY")
    MINIO_BUCKET = os.environ.get("MINIO_BUCKET", "evidence")
    MINIO_SECURE = _bool("MINIO_SECURE", True)
    EVIDENCE_MAX_VIDEO_MB = _int("EVIDENCE_MAX_VIDEO_MB", 500)
    EVIDENCE_MAX_OTHER_MB = _int("EVIDENCE_MAX_OTHER_MB", 20)
    # Content types detected from the bytes that may be kept (comma-separated in the env).
    EVIDENCE_ALLOWED_TYPES = tuple(t.strip() for t in os.environ.get(
        "EVIDENCE_ALLOWED_TYPES",
        "image/jpeg,image/png,image/webp,image/heic,application/pdf,video/mp4,"
        "video/quicktime,video/webm,audio/webm,audio/mp4,text/plain",
    ).split(",") if t.strip())

    # Notices to applicants and guardians (portal/notices, docs/notices.md). SMS goes through
    # "log" (development) or "aliyun" (Alibaba Cloud SMS); email through "log" or "smtp".
    # Operations (docs/deploy.md): JSON log lines for a collector; /metrics behind a token.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")

    NOTICE_SMS_BACKEND = os.environ.get("NOTICE_SMS_BACKEND", "log")
    NOTICE_EMAIL_BACKEND = os.environ.get("NOTICE_EMAIL_BACKEND", "log")
    NOTICE_MAX_ATTEMPTS = _int("NOTICE_MAX_ATTEMPTS", 6)
    NOTICE_RETRY_SECONDS = _int("NOTICE_RETRY_SECONDS", 60)
    NOTICE_RETRY_MAX_SECONDS = _int("NOTICE_RETRY_MAX_SECONDS", 6 * 3600)
    NOTICE_CLAIM_TIMEOUT_SECONDS = _int("NOTICE_CLAIM_TIMEOUT_SECONDS", 120)
    NOTICE_DAILY_LIMIT = _int("NOTICE_DAILY_LIMIT", 3)
    # Send a change's messages by a job queued after its commit (portal/notices/tasks.py);
    # unset: with RQ workers and in development.
    NOTICE_SEND_IN_JOBS = os.environ.get("NOTICE_SEND_IN_JOBS")
    SMS_ACCESS_KEY_ID = os.environ.get("SMS_ACCESS_KEY_ID")
    SMS_ACCESS_KEY_SECRET = os.environ.get("SMS_ACCESS_KEY_SECRET")
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME")
    SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
    SMS_PROTOCOL = os.environ.get("SMS_PROTOCOL", "https")
    SMS_TEMPLATE_DAY_INVITATION = os.environ.get("SMS_TEMPLATE_DAY_INVITATION")
    SMS_TEMPLATE_HOME_VISIT = os.environ.get("SMS_TEMPLATE_HOME_VISIT")
    SMS_TEMPLATE_VIDEO = os.environ.get("SMS_TEMPLATE_VIDEO")
    SMS_TEMPLATE_PUBLICITY = os.environ.get("SMS_TEMPLATE_PUBLICITY")
    SMS_TEMPLATE_RESULT = os.environ.get("SMS_TEMPLATE_RESULT")
    SMS_TEMPLATE_CERTIFICATE_READY = os.environ.get("SMS_TEMPLATE_CERTIFICATE_READY")
    SMS_TEMPLATE_PETITION_ACCEPTED = os.environ.get("SMS_TEMPLATE_PETITION_ACCEPTED")
    SMS_TEMPLATE_PETITION_ANSWERED = os.environ.get("SMS_TEMPLATE_PETITION_ANSWERED")
    SMS_TEMPLATE_EXPIRING = os.environ.get("SMS_TEMPLATE_EXPIRING")
    NOTICE_SMTP_HOST = os.environ.get("NOTICE_SMTP_HOST")
    NOTICE_SMTP_PORT = _int("NOTICE_SMTP_PORT", 25)
    NOTICE_SMTP_FROM = os.environ.get("NOTICE_SMTP_FROM")
    NOTICE_SMTP_USER = os.environ.get("NOTICE_SMTP_USER")
    NOTICE_SMTP_PASSWORD = os.environ.get("NOTICE_SMTP_PASSWORD")
    NOTICE_SMTP_STARTTLS = _bool("NOTICE_SMTP_STARTTLS", True)


class DevelopmentConfig(Config):
    """Local run: a fixed key is acceptable, cookies travel over plain HTTP."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-key-not-for-production"
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    """Fast hashing, inline jobs, in-memory limiter; CSRF stays on."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-key"
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    ARGON2_PARALLELISM = 1
    JOBS_BACKEND = "inline"
    MEDIA_CHECK_SECONDS = 0  # the pool is checked by the tests that mean to
    RATELIMIT_STORAGE_URI = "memory://"
    # The test client's own host, so that a followed link keeps the session's cookies.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or "http://localhost"


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
