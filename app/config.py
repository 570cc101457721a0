"""Configuration classes.

Every setting can be overridden by an environment variable with the ``ZEREN_`` prefix
(see :func:`apply_environment`).  Nothing here touches a database: ``create_app`` only
reads these values.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_tenants_dir() -> str:
    return str(Path(os.environ.get("ZEREN_TENANTS_DIR") or PROJECT_ROOT / "tenants").resolve())


class Config:
    """Defaults for development and production."""

    TENANTS_DIR: str = _default_tenants_dir()
    # Catalog database; ``None`` means ``sqlite:///<TENANTS_DIR>/catalog.sqlite3``.
    DATABASE_URL: str | None = None
    # Named PostgreSQL servers for bureau schemas: "name=url,name2=url2".  Empty means
    # "the catalog's server", which is named ``default``.
    TENANT_SERVERS: str = ""
    # Where new bureaus are placed on PostgreSQL (a name from TENANT_SERVERS; unset: the
    # first one named there).
    DEFAULT_TENANT_SERVER: str | None = None
    # Bounded LRU of per-bureau engines (SQLite files / PostgreSQL option engines).
    TENANT_ENGINE_CACHE: int = 64
    SQLITE_BUSY_TIMEOUT_MS: int = 5000
    # psycopg prepares a statement run five times on one connection.  A pooler in
    # transaction mode (PgBouncer before 1.21) hands the next transaction another server
    # connection, where that statement does not exist: turn this off behind one.
    PG_PREPARED_STATEMENTS: bool = True
    MIGRATIONS_DIR: str = str(PROJECT_ROOT / "migrations")

    SECRET_KEY: str | None = None
    REDIS_URL: str | None = None

    # How many reverse proxies in front are trusted for the client address, scheme and
    # host (X-Forwarded-*): 0 when users reach gunicorn directly, 1 behind nginx.
    PROXY_HOPS: int = 0
    # Evidence downloads through the web server (nginx's X-Accel-Redirect): the URI prefix
    # of its ``internal`` location that aliases TENANTS_DIR, e.g. ``/_protected/``.  The app
    # authorises the download and names the file; nginx sends the bytes, so a slow client
    # does not hold a gunicorn worker for the length of a 20 MB file.  Empty: the app streams.
    ACCEL_REDIRECT: str = ""
    # Where evidence bytes live (docs/scale.md, "Evidence at scale"): ``local``, the bureau
    # folders under TENANTS_DIR (shared by every web server), or ``s3``, an S3-compatible
    # bucket (boto3, the ``s3`` extra), keyed ``<S3_PREFIX><slug>/<aa>/<sha256>``.
    # Credentials come from boto3's chain (AWS_ACCESS_KEY_ID … or a role), never from here.
    EVIDENCE_STORE: str = "local"
    S3_ENDPOINT_URL: str | None = None  # unset: AWS; e.g. https://minio.example:9000
    S3_BUCKET: str | None = None
    S3_PREFIX: str = ""  # "zeren/" puts every key under zeren/ (a slash is added if missing)
    S3_REGION: str | None = None
    S3_ADDRESSING_STYLE: str = "auto"  # auto, path (MinIO) or virtual (Aliyun OSS …)
    # Send the SHA-256 for the server to check (off for servers that refuse checksum headers;
    # the size is checked after every upload either way).
    S3_CHECKSUM: bool = True
    S3_MULTIPART_MB: int = 8
    S3_CONNECT_TIMEOUT: int = 5
    S3_READ_TIMEOUT: int = 30
    S3_MAX_ATTEMPTS: int = 3
    # Downloads: streamed through the app, or (1) a redirect to a presigned URL valid this long.
    S3_PRESIGNED: bool = False
    S3_PRESIGNED_SECONDS: int = 120
    # ``text`` (Flask's format) or ``json`` (one object per line, with the request id,
    # user and bureau: for a log collector).  Production defaults to ``json``.
    LOG_FORMAT: str = "text"
    LOG_LEVEL: str = "INFO"
    # Addresses that may read /metrics (comma-separated in ZEREN_METRICS_ALLOW).
    METRICS_ALLOW: tuple = ("127.0.0.1", "::1")

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans": "简体中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    RATELIMIT_ENABLED = True
    # Where the log-in limits count: ``None`` means Redis when REDIS_URL is set, otherwise
    # the catalog database (``catalogdb://``, app/accounts/ratelimit.py), so that every
    # worker process counts together.  ``memory://`` (per process) is refused in production.
    RATELIMIT_STORAGE_URI: str | None = None
    # RATELIMIT_KEY_PREFIX (ZEREN_RATELIMIT_KEY_PREFIX): prefix of the limiter's keys, for
    # installations sharing one Redis.  Unset by default: Flask-Limiter keeps the first
    # prefix it sees, so a default here would override the one a later app asks for.
    LOGIN_RATE_LIMIT = "10 per minute"
    PASSWORD_MIN_LENGTH = 10
    # Identity (等保 level 3, docs/security.md).  The security administrator's page
    # (/security) overrides the first four; the others are set here only.
    LOCKOUT_ATTEMPTS: int = 5  # failed log-ins in a row that lock an account …
    LOCKOUT_MINUTES: int = 15  # … for this long
    SESSION_IDLE_MINUTES: int = 30
    SESSION_MAX_HOURS: int = 12  # absolute lifetime of a log-in, however busy
    # "required-for-admins" (city roles and bureau administrators must use TOTP),
    # "optional" (whoever enrols uses it) or "off".
    TWO_FACTOR: str = "off"
    PASSWORD_HISTORY: int = 5  # a new password may not be one of the last this many
    PASSWORD_MAX_AGE_DAYS: int = 0  # 0: passwords do not expire
    # 三员分立: no account holds two of system, security and audit administrator, and the
    # combined city_admin does none of their work and cannot be granted.
    SEPARATION_OF_DUTIES: bool = False

    # Per evidence file (duties and findings uploads); requests may carry several files.
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    # PDF font roles (GB/T 9704: 仿宋 body, 宋体 titles and tables, 黑体 headings, 楷体
    # sub-headings); texlive-lang-chinese (FandolFang, linked for fontconfig by make fonts),
    # fonts-noto-cjk and fonts-lxgw-wenkai provide the defaults.
    PDF_FONT_FANG = "FandolFang"
    PDF_FONT_SERIF = "Noto Serif CJK SC"
    PDF_FONT_SANS = "Noto Sans CJK SC"
    PDF_FONT_KAI = "LXGW WenKai"
    # Faces after each role's face (symbols and emoji, CJK Extension B and beyond) and the
    # colour emoji face; Debian's fonts-symbola, fonts-hanazono, fonts-noto-color-emoji.
    PDF_FONT_FALLBACK = "Symbola, HanaMinB"
    PDF_FONT_EMOJI = "Noto Color Emoji"
    # Reports (app/reports): threads reading bureaus' data for the city summary (None: the
    # cores, at most 2); the laid-out parts of reports under <TENANTS_DIR>/_cache/parts and
    # the processes laying them out (None: the cores, at most one per 400 MB available; 1:
    # in the job's own process, the test suite's default) replaced after RECYCLE parts; the
    # disk cache of rendered reports under <TENANTS_DIR>/_cache/reports, both shared by every
    # process; whether opening a reports page orders its report (None: yes, except in tests).
    REPORTS_WORKERS: int | None = None
    REPORTS_PARTS_CACHE_MB: int = 512
    REPORTS_PARTS_CACHE_FILES: int = 5000
    REPORTS_LAYOUT_PROCESSES: int | None = None
    REPORTS_LAYOUT_RECYCLE: int = 40
    REPORTS_CACHE_MB: int = 256
    REPORTS_CACHE_FILES: int = 2000
    REPORTS_PREPARE: bool | None = None
    REPORTS_CITY_PROFILES_MAX: int = 150
    REPORTS_CITY_RANKING_MAX: int = 100
    TESTING = False

    # The job queue (app/jobs): ``None`` means ``sqlite:///<TENANTS_DIR>/_queue/jobs.sqlite3``
    # (embedded, no server); ``redis://…`` or ``postgresql://…`` in production; ``memory://``
    # runs every job at once inside the caller (the test suite; refused in production).
    QUEUE_URL: str | None = None
    # A running job without a heartbeat for this long is presumed lost with its worker and
    # queued again (a job beats at least every few seconds while it works).
    JOBS_STALE_SECONDS: int = 180
    # A running job is taken from its worker after this long even if the worker still
    # beats (a deadlocked worker's heartbeat thread lives on): its worker process is killed
    # (process workers) and the job queued again.
    JOBS_MAX_SECONDS: int = 600
    # Scheduled jobs (local time, HH:MM): the nightly backup of every bureau, kept this many
    # days under <TENANTS_DIR>/backups/nightly; the daily reminder digest.
    BACKUP_AT: str = "02:00"
    BACKUP_RETENTION_DAYS: int = 14
    REMINDERS_AT: str = "07:30"
    # The city is told of city-raised findings whose warning turned red (issue 16).
    RED_WARNINGS_AT: str = "07:00"
    # Every bureau's figures recomputed after midnight (overdue counts move with the date).
    ROLLUP_NIGHTLY_AT: str = "00:10"
    # The audit trail (app/audit): events are kept in the databases at least this many days
    # (180 at the least, refused below); older ones are archived daily at AUDIT_ARCHIVE_AT
    # to signed files under AUDIT_ARCHIVE_DIR (None: <TENANTS_DIR>/audit-archive), signed
    # with HMAC-SHA256 under AUDIT_ARCHIVE_KEY (None: a key derived from SECRET_KEY).
    AUDIT_RETENTION_DAYS: int = 180
    AUDIT_ARCHIVE_AT: str = "03:30"
    AUDIT_ARCHIVE_DIR: str | None = None
    AUDIT_ARCHIVE_KEY: str | None = None

    # Reminder e-mails (``flask reminders send`` or the daily job).
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str = "zeren@localhost"
    SMTP_STARTTLS: bool = False
    # Who may reopen a closed finding: any of city_admin, bureau_admin (comma-separated).
    FINDINGS_REOPEN_ROLES: str = "city_admin,bureau_admin"
    # Notifications sent on to the city's gateway (SMS / 政务钉钉 / 企业微信): unset, none.
    # The JSON body is signed with HMAC-SHA256 under the secret; KINDS (comma-separated)
    # limits which events go out (empty: all); PUBLIC_URL makes the links absolute.
    NOTIFY_WEBHOOK_URL: str = ""
    NOTIFY_WEBHOOK_SECRET: str = ""
    NOTIFY_WEBHOOK_TIMEOUT: float = 5.0
    NOTIFY_WEBHOOK_KINDS: str = ""
    NOTIFY_PUBLIC_URL: str = ""

    # The city's directory (app/directory, docs/architecture.md "Directory and unified
    # identity log-in").  LDAP_URL empty: no directory, local accounts only.  The user's
    # entry is found with USER_FILTER under USER_BASE (by the service account BIND_DN, or
    # anonymously), or its DN is built from USER_DN_TEMPLATE; ROLE_MAP is JSON, group DN →
    # "role" (city) or "role@slug" (bureau).  LOCAL_FALLBACK: accounts made in Zeren keep
    # logging in with their own password (whenever the directory does not know the name,
    # and while it is unreachable).
    LDAP_URL: str = ""
    LDAP_BIND_DN: str = ""
    LDAP_BIND_PASSWORD: str = ""
    LDAP_USER_BASE: str = ""
    LDAP_USER_FILTER: str = "(uid={username})"
    LDAP_USER_DN_TEMPLATE: str = ""
    LDAP_GROUP_BASE: str = ""
    LDAP_GROUP_FILTER: str = "(|(member={dn})(uniqueMember={dn}))"
    LDAP_NAME_ATTRIBUTE: str = "displayName"
    LDAP_ROLE_MAP: str = ""
    LDAP_LOCAL_FALLBACK: bool = True
    LDAP_STARTTLS: bool = False
    LDAP_TIMEOUT: int = 5
    # The city's unified identity service (OpenID Connect, authorization code with PKCE).
    # ISSUER empty: no button on the log-in page.  ROLE_MAP is JSON, claim value → role.
    OIDC_ISSUER: str = ""
    OIDC_CLIENT_ID: str = ""
    OIDC_CLIENT_SECRET: str = ""
    OIDC_SCOPE: str = "openid profile"
    OIDC_USERNAME_CLAIM: str = "preferred_username"
    OIDC_NAME_CLAIM: str = "name"
    OIDC_ROLE_CLAIM: str = "groups"
    OIDC_ROLE_MAP: str = ""
    OIDC_TIMEOUT: int = 5


class ProductionConfig(Config):
    """Used when ``ZEREN_ENV=production``: secure cookies and a mandatory secret key."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    LOG_FORMAT = "json"
    TWO_FACTOR = "required-for-admins"


class TestConfig(Config):
    """Used by the test-suite; the fixtures give every test its own data root."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # Tests post forms directly; a dedicated test enables CSRF and proves it is enforced.
    WTF_CSRF_ENABLED = False
    TENANT_ENGINE_CACHE = 8
    SQLITE_BUSY_TIMEOUT_MS = 2000
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # fast hashes keep the suite quick
    QUEUE_URL = "memory://"  # jobs run inside the request that submits them


# Environment variables that map onto settings, with their type.
ENV_SETTINGS: dict[str, Callable[[str], object]] = {
    "DATABASE_URL": str,
    "TENANTS_DIR": str,
    "SECRET_KEY": str,
    "TENANT_SERVERS": str,
    "DEFAULT_TENANT_SERVER": str,
    "REDIS_URL": str,
    "PROXY_HOPS": int,
    "ACCEL_REDIRECT": str,
    "EVIDENCE_STORE": lambda value: value.strip().lower(),
    "S3_ENDPOINT_URL": str,
    "S3_BUCKET": str,
    "S3_PREFIX": str,
    "S3_REGION": str,
    "S3_ADDRESSING_STYLE": str,
    "S3_CHECKSUM": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "S3_MULTIPART_MB": int,
    "S3_CONNECT_TIMEOUT": int,
    "S3_READ_TIMEOUT": int,
    "S3_MAX_ATTEMPTS": int,
    "S3_PRESIGNED": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "S3_PRESIGNED_SECONDS": int,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "METRICS_ALLOW": lambda value: tuple(part.strip() for part in value.split(",") if part.strip()),
    "TENANT_ENGINE_CACHE": int,
    "PG_PREPARED_STATEMENTS": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "MIGRATIONS_DIR": str,
    "LOGIN_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USER": str,
    "SMTP_PASSWORD": str,
    "SMTP_FROM": str,
    "SMTP_STARTTLS": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "FINDINGS_REOPEN_ROLES": str,
    "LDAP_URL": str,
    "LDAP_BIND_DN": str,
    "LDAP_BIND_PASSWORD": str,
    "LDAP_USER_BASE": str,
    "LDAP_USER_FILTER": str,
    "LDAP_USER_DN_TEMPLATE": str,
    "LDAP_GROUP_BASE": str,
    "LDAP_GROUP_FILTER": str,
    "LDAP_NAME_ATTRIBUTE": str,
    "LDAP_ROLE_MAP": str,
    "LDAP_LOCAL_FALLBACK": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "LDAP_STARTTLS": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "LDAP_TIMEOUT": int,
    "OIDC_ISSUER": str,
    "OIDC_CLIENT_ID": str,
    "OIDC_CLIENT_SECRET": str,
    "OIDC_SCOPE": str,
    "OIDC_USERNAME_CLAIM": str,
    "OIDC_NAME_CLAIM": str,
    "OIDC_ROLE_CLAIM": str,
    "OIDC_ROLE_MAP": str,
    "OIDC_TIMEOUT": int,
    "NOTIFY_WEBHOOK_URL": str,
    "NOTIFY_WEBHOOK_SECRET": str,
    "NOTIFY_WEBHOOK_TIMEOUT": float,
    "NOTIFY_WEBHOOK_KINDS": str,
    "NOTIFY_PUBLIC_URL": str,
    "PDF_FONT_FANG": str,
    "PDF_FONT_SERIF": str,
    "PDF_FONT_SANS": str,
    "PDF_FONT_KAI": str,
    "PDF_FONT_FALLBACK": str,
    "PDF_FONT_EMOJI": str,
    "REPORTS_WORKERS": int,
    "REPORTS_PARTS_CACHE_MB": int,
    "REPORTS_PARTS_CACHE_FILES": int,
    "REPORTS_LAYOUT_PROCESSES": int,
    "REPORTS_LAYOUT_RECYCLE": int,
    "REPORTS_CACHE_MB": int,
    "REPORTS_CACHE_FILES": int,
    "REPORTS_PREPARE": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "REPORTS_CITY_PROFILES_MAX": int,
    "REPORTS_CITY_RANKING_MAX": int,
    "QUEUE_URL": str,
    "JOBS_STALE_SECONDS": int,
    "JOBS_MAX_SECONDS": int,
    "BACKUP_AT": str,
    "BACKUP_RETENTION_DAYS": int,
    "REMINDERS_AT": str,
    "RED_WARNINGS_AT": str,
    "ROLLUP_NIGHTLY_AT": str,
    "AUDIT_RETENTION_DAYS": int,
    "AUDIT_ARCHIVE_AT": str,
    "AUDIT_ARCHIVE_DIR": str,
    "AUDIT_ARCHIVE_KEY": str,
    "LOCKOUT_ATTEMPTS": int,
    "LOCKOUT_MINUTES": int,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_MAX_HOURS": int,
    "TWO_FACTOR": lambda value: value.strip().lower(),
    "PASSWORD_HISTORY": int,
    "PASSWORD_MAX_AGE_DAYS": int,
    "SEPARATION_OF_DUTIES": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
}

#: The values of ``ZEREN_TWO_FACTOR``.
TWO_FACTOR_POLICIES = ("required-for-admins", "optional", "off")


def apply_environment(config: dict) -> None:
    """Overlay ``ZEREN_<NAME>`` environment variables onto ``config`` in place."""
    for name, kind in ENV_SETTINGS.items():
        value = os.environ.get(f"ZEREN_{name}")
        if value not in (None, ""):
            config[name] = kind(value)


def finalise(config: dict) -> None:
    """Derive dependent settings once every source has been applied."""
    tenants_dir = Path(config["TENANTS_DIR"]).resolve()
    config["TENANTS_DIR"] = str(tenants_dir)
    tenants_dir.mkdir(parents=True, exist_ok=True)  # SQLite cannot create the folder itself
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{tenants_dir / 'catalog.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    if config["DATABASE_URL"].startswith("sqlite"):
        # The pool_pre_ping default is useless for SQLite files; keep options minimal.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    config["PG_CONNECT_ARGS"] = {} if config.get("PG_PREPARED_STATEMENTS", True) else {"prepare_threshold": None}
    if config["DATABASE_URL"].startswith("postgresql") and config["PG_CONNECT_ARGS"]:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {**config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                               "connect_args": config["PG_CONNECT_ARGS"]}
    production = config.get("ENV_NAME") == "production"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_secret(tenants_dir, production=production)
    elif production:
        _refuse_weak_secret(config["SECRET_KEY"])
    if config.get("LOG_FORMAT") not in ("text", "json"):
        raise RuntimeError("ZEREN_LOG_FORMAT must be text or json.")
    if not 0 <= int(config.get("PROXY_HOPS") or 0) <= 5:
        raise RuntimeError("ZEREN_PROXY_HOPS is the number of proxies in front (0 to 5).")
    if not config.get("QUEUE_URL"):
        config["QUEUE_URL"] = f"sqlite:///{tenants_dir / '_queue' / 'jobs.sqlite3'}"
    if production and config["QUEUE_URL"].startswith("memory:"):
        raise RuntimeError("ZEREN_QUEUE_URL=memory:// runs reports inside the web workers and is refused in "
                           "production: leave it unset (SQLite in the data root) or use redis:// or postgresql://.")
    if config.get("AUDIT_RETENTION_DAYS") is not None and int(config["AUDIT_RETENTION_DAYS"]) < 180:
        raise RuntimeError("ZEREN_AUDIT_RETENTION_DAYS must be at least 180: audit events are kept that long.")
    for setting in ("BACKUP_AT", "REMINDERS_AT", "ROLLUP_NIGHTLY_AT", "AUDIT_ARCHIVE_AT",
                    "RED_WARNINGS_AT"):
        if config.get(setting) is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(config[setting])):
            raise RuntimeError(f"ZEREN_{setting} is a local time of day, HH:MM (00:00 to 23:59).")
    accel = config.get("ACCEL_REDIRECT") or ""
    if accel and not (accel.startswith("/") and accel.endswith("/")):
        raise RuntimeError("ZEREN_ACCEL_REDIRECT is the path of nginx's internal location, with a slash at both "
                           "ends (e.g. /_protected/), or empty.")
    _check_evidence_store(config)
    if config.get("TWO_FACTOR", "off") not in TWO_FACTOR_POLICIES:
        raise RuntimeError("ZEREN_TWO_FACTOR is required-for-admins, optional or off.")
    _check_directory(config)
    storage = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "catalogdb://"
    config["RATELIMIT_STORAGE_URI"] = storage
    if production and config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory:"):
        # Each process would count on its own: N workers give an attacker N times the attempts.
        raise RuntimeError("ZEREN_RATELIMIT_STORAGE_URI=memory:// counts per process and is refused in "
                           "production: set ZEREN_REDIS_URL, or leave it unset to count in the catalog database.")


def _check_evidence_store(config: dict) -> None:
    """Refuse an evidence store that cannot work, at start rather than at the first upload."""
    kind = config.get("EVIDENCE_STORE") or "local"
    if kind not in ("local", "s3"):
        raise RuntimeError("ZEREN_EVIDENCE_STORE is local (the bureau folders, the default) or s3.")
    config["EVIDENCE_STORE"] = kind
    # The bucket's settings are read while the store is still local too (flask evidence
    # copy-to-s3 fills the bucket before the switch), so they are checked either way.
    prefix = (config.get("S3_PREFIX") or "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if ".." in prefix.split("/"):
        raise RuntimeError("ZEREN_S3_PREFIX is a key prefix such as zeren/ (no .. parts).")
    config["S3_PREFIX"] = prefix
    if (config.get("S3_ADDRESSING_STYLE") or "auto") not in ("auto", "path", "virtual"):
        raise RuntimeError("ZEREN_S3_ADDRESSING_STYLE is auto, path or virtual.")
    if not 10 <= int(config.get("S3_PRESIGNED_SECONDS", Config.S3_PRESIGNED_SECONDS)) <= 3600:
        raise RuntimeError("ZEREN_S3_PRESIGNED_SECONDS is how long a download link is valid: 10 to 3600 seconds.")
    if not 5 <= int(config.get("S3_MULTIPART_MB", Config.S3_MULTIPART_MB)) <= 512:
        raise RuntimeError("ZEREN_S3_MULTIPART_MB is the part size of large uploads: 5 to 512 (S3's minimum is 5).")
    if kind != "s3":
        return
    if not config.get("S3_BUCKET"):
        raise RuntimeError("ZEREN_EVIDENCE_STORE=s3 needs ZEREN_S3_BUCKET (the bucket's name); credentials come "
                           "from the AWS variables or boto3's other sources.")
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise RuntimeError("ZEREN_EVIDENCE_STORE=s3 needs boto3: pip install 'zeren[s3]'.") from None


def _check_directory(config: dict) -> None:
    """Refuse a directory or identity-service setting that cannot work, at start."""
    import json

    for name in ("LDAP_ROLE_MAP", "OIDC_ROLE_MAP"):
        raw = config.get(name) or ""
        try:
            mapping = json.loads(raw) if raw.strip() else {}
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in mapping.items()):
            raise RuntimeError(f"ZEREN_{name} is a JSON object of names to roles, e.g. "
                               '{"cn=city-admins,ou=groups,dc=city,dc=gov": "city_admin", '
                               '"cn=jgswj-editors,ou=groups,dc=city,dc=gov": "bureau_editor@jgswj"}.')
    if config.get("LDAP_URL"):
        if not (config.get("LDAP_USER_DN_TEMPLATE") or config.get("LDAP_USER_BASE")):
            raise RuntimeError("ZEREN_LDAP_URL needs ZEREN_LDAP_USER_BASE (where users are searched) or "
                               "ZEREN_LDAP_USER_DN_TEMPLATE (e.g. uid={username},ou=people,dc=city,dc=gov).")
        if not 1 <= int(config.get("LDAP_TIMEOUT") or 0) <= 30:
            raise RuntimeError("ZEREN_LDAP_TIMEOUT is how long one directory call may take: 1 to 30 seconds.")
    if config.get("OIDC_ISSUER") and not config.get("OIDC_CLIENT_ID"):
        raise RuntimeError("ZEREN_OIDC_ISSUER needs ZEREN_OIDC_CLIENT_ID (and ZEREN_OIDC_CLIENT_SECRET).")


#: Secrets that are public (this repository's test key, examples from the docs).
KNOWN_SECRETS = frozenset({TestConfig.SECRET_KEY, "change-me", "changeme", "secret", "dev", "development"})
SECRET_MIN_LENGTH = 32


def _refuse_weak_secret(secret: str) -> None:
    """Production signs sessions with the key: a known or short one would let anyone forge
    a log-in."""
    if secret in KNOWN_SECRETS or len(secret) < SECRET_MIN_LENGTH:
        raise RuntimeError(f"ZEREN_SECRET_KEY is a development or example key, or shorter than "
                           f"{SECRET_MIN_LENGTH} characters: generate one with "
                           "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")


def _development_secret(tenants_dir: Path, production: bool) -> str:
    """Return a per-installation secret kept in the data root (never in git)."""
    if production:
        raise RuntimeError("ZEREN_SECRET_KEY must be set in production (ZEREN_ENV=production).")
    path = tenants_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    tenants_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
