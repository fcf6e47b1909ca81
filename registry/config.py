"""Configuration read from the environment, with a safe production baseline."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigurationError(RuntimeError):
    """The application cannot start with the configuration it was given."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlalchemy_url(raw: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def build_config(overrides: dict | None = None) -> dict:
    """Return the settings for this process: defaults < environment < explicit overrides."""
    overrides = dict(overrides or {})
    env = overrides.pop("REGISTRY_ENV", None) or os.environ.get("REGISTRY_ENV", "production")
    production = env == "production"

    default_db = f"sqlite:///{INSTANCE_DIR / 'registry.sqlite3'}"
    config: dict = {
        "REGISTRY_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SECRET_KEY_FALLBACKS": [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k],
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(os.environ.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # DATABASE_URL (and the replica's) goes through PgBouncer in transaction pooling: no server-side
        # prepared statements (registry/replica.py, deploy/DEPLOY.md "PgBouncer").
        "DATABASE_PGBOUNCER": _env_bool("DATABASE_PGBOUNCER", False),
        # A PostgreSQL hot standby for the public pages that declare @replica_reads (registry/replica.py):
        # used while its replay is at most REPLICA_MAX_LAG_SECONDS behind (looked at every
        # REPLICA_CHECK_SECONDS per worker, every REPLICA_RETRY_SECONDS while it is away or behind);
        # a client that wrote reads from the primary for REPLICA_OWN_WRITES_SECONDS.
        "DATABASE_REPLICA_URL": _sqlalchemy_url(os.environ.get("DATABASE_REPLICA_URL", "")) or None,
        "REPLICA_MAX_LAG_SECONDS": float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5")),
        "REPLICA_CHECK_SECONDS": float(os.environ.get("REPLICA_CHECK_SECONDS", "1")),
        "REPLICA_RETRY_SECONDS": float(os.environ.get("REPLICA_RETRY_SECONDS", "10")),
        "REPLICA_OWN_WRITES_SECONDS": float(os.environ.get("REPLICA_OWN_WRITES_SECONDS", "15")),
        "REPLICA_CONNECT_TIMEOUT_SECONDS": int(os.environ.get("REPLICA_CONNECT_TIMEOUT_SECONDS", "2")),
        # Sessions: signed cookies, never readable by scripts, never sent cross-site on POST.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # We offer no "remember me"; these make Flask-Login's cookie safe should it ever be set.
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24,
        # Six phone photos of up to 10 MB each, plus the form.
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 200,
        # Evidence photos live outside static/ and are served only through a staff view.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", str(INSTANCE_DIR / "uploads" / "evidence")),
        # How long a complainant's phone number is kept after the case closes (PIPL: no longer than needed).
        "COMPLAINANT_PHONE_RETENTION_MONTHS": int(os.environ.get("COMPLAINANT_PHONE_RETENTION_MONTHS", "12")),
        # "outbox" keeps messages in the database (development, tests); a production gateway is
        # configured as "package.module:Class" with SMS_SENDER_OPTIONS passed to it.
        "SMS_SENDER": os.environ.get("SMS_SENDER", "outbox"),
        "SMS_SENDER_OPTIONS": {},
        # Sent texts keep their number and words this long, then are masked (flask messaging forget).
        "OUTBOX_RETENTION_DAYS": int(os.environ.get("OUTBOX_RETENTION_DAYS", "90")),
        "TRUSTED_HOSTS": [h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h] or None,
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 4,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh": "简体中文", "en": "English"},
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Redis away must not turn limited routes into 500s: each worker counts in its own memory
        # (logged once), and goes back to Redis when it answers again (checked at growing intervals).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # A dead or unreachable Redis must fail in a fraction of a second, not hold every request
        # for the system's TCP timeout (ignored by the memory storage).
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "PLEDGE_VALIDITY_DAYS": 365,
        # A shop may renew its signature this many days before it expires.
        "PLEDGE_RENEWAL_WINDOW_DAYS": 30,
        "SEARCH_PAGE_SIZE": 20,
        # The QR page's exact cache (registry/lookup/page_cache.py, deploy/DEPLOY.md "QR page cache"): Redis
        # shared by every worker and host (off when unset), behind a per-worker layer of this many bytes.
        "PAGE_CACHE_URL": os.environ.get("PAGE_CACHE_URL") or None,
        "PAGE_CACHE_LOCAL_BYTES": int(os.environ.get("PAGE_CACHE_LOCAL_BYTES", str(4 * 1024 * 1024))),
        "HSTS_SECONDS": 31536000 if production else 0,
        # The audit checkpoint's Ed25519 signing key (registry/audit/checkpoints.py, deploy/DEPLOY.md):
        # PEM or base64 seed; the Beijing date it became current; retired public keys with their dates.
        "AUDIT_CHECKPOINT_KEY": os.environ.get("AUDIT_CHECKPOINT_KEY"),
        "AUDIT_CHECKPOINT_KEY_SINCE": os.environ.get("AUDIT_CHECKPOINT_KEY_SINCE"),
        "AUDIT_CHECKPOINT_RETIRED_KEYS": os.environ.get("AUDIT_CHECKPOINT_RETIRED_KEYS", "[]"),
        # Without AUDIT_CHECKPOINT_KEY, development and tests sign with a key kept here (production refuses).
        "AUDIT_CHECKPOINT_DEV_KEY_FILE": os.environ.get("AUDIT_CHECKPOINT_DEV_KEY_FILE"),
        # The badges' Ed25519 key (registry/badges/keys.py): every QR carries a proof signed with it, which
        # anyone can check offline. Production refuses to issue a badge without it; retired keys stay
        # published so old posters still verify (deploy/DEPLOY.md, "Badge signing key").
        "BADGE_SIGNING_KEY": os.environ.get("BADGE_SIGNING_KEY"),
        "BADGE_SIGNING_KEY_SINCE": os.environ.get("BADGE_SIGNING_KEY_SINCE"),
        "BADGE_SIGNING_RETIRED_KEYS": os.environ.get("BADGE_SIGNING_RETIRED_KEYS", "[]"),
        "BADGE_SIGNING_DEV_KEY_FILE": os.environ.get("BADGE_SIGNING_DEV_KEY_FILE"),
        # The body that issues the badges (registry/issuer.py): named on the QR page, posters, letters,
        # reports and SMS, so that a reader can tell an invitation from a scam and knows whom to call.
        "ISSUER_NAME": os.environ.get("ISSUER_NAME"),
        "ISSUER_SHORT_NAME": os.environ.get("ISSUER_SHORT_NAME"),
        "ISSUER_PHONE": os.environ.get("ISSUER_PHONE"),
        "ISSUER_ADDRESS": os.environ.get("ISSUER_ADDRESS"),
        "ISSUER_WEBSITE": os.environ.get("ISSUER_WEBSITE"),
        "ISSUER_LOGO_FILE": os.environ.get("ISSUER_LOGO_FILE"),
        # Credit repair (信用修复, moderation/repairs.py): months from a sanction's start before the shop
        # may apply (food businesses wait longer), and how long a repaired mark is still listed as such.
        "CREDIT_REPAIR_MIN_MONTHS": int(os.environ.get("CREDIT_REPAIR_MIN_MONTHS", "6")),
        "CREDIT_REPAIR_MIN_MONTHS_FOOD": int(os.environ.get("CREDIT_REPAIR_MIN_MONTHS_FOOD", "12")),
        "CREDIT_REPAIR_SHOWN_DAYS": int(os.environ.get("CREDIT_REPAIR_SHOWN_DAYS", "90")),
        # Long work off the request path (registry/jobs, deploy/DEPLOY.md "Jobs worker"): the RQ queue's Redis.
        # Without it jobs run inside the request that starts them (development, tests); production refuses
        # to run a job that way and says the queue is not configured.
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL") or None,
        # A job attempt running longer is killed by the worker and retried like a crash.
        "JOBS_TIMEOUT_SECONDS": int(os.environ.get("JOBS_TIMEOUT_SECONDS", "1800")),
        "JOBS_RETRIES": int(os.environ.get("JOBS_RETRIES", "2")),
        "JOBS_RETRY_INTERVALS": [10, 60],
        # A running job with no progress for this long has lost its worker: its page offers 重试.
        "JOBS_STALLED_SECONDS": int(os.environ.get("JOBS_STALLED_SECONDS", "300")),
        # Licence photos sent with ownership claims (registry/ownership); default: next to the evidence.
        "OWNERSHIP_CLAIM_DIR": os.environ.get("OWNERSHIP_CLAIM_DIR"),
    }
    if not production:
        # Development and tests name a fictional association, so that every page shows what a
        # configured one looks like; production must name the real one (_require_production_settings).
        for name, value in DEMO_ISSUER.items():
            config[name] = config[name] or value
    if env == "development":
        # PUBLIC_BASE_URL may stay unset: web.public_base_url then follows the address being served.
        config["SECRET_KEY"] = config["SECRET_KEY"] or _development_secret()
    config.update(overrides)
    if config["REGISTRY_ENV"] == "production":
        _require_production_settings(config)
    return config


DEMO_ISSUER = {
    "ISSUER_NAME": "西子市消费者协会",
    "ISSUER_SHORT_NAME": "西子消协",
    "ISSUER_PHONE": "0571-86000315",
    "ISSUER_ADDRESS": "西子市西湖区文三路 100 号消费者服务中心二楼",
    "ISSUER_WEBSITE": "https://xizi-cxm.example.cn",
}


def _development_secret() -> str:
    """A random secret kept under instance/ so development sessions survive restarts."""
    import secrets

    path = INSTANCE_DIR / "dev_secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _require_production_settings(config: dict) -> None:
    missing = [name for name in ("SECRET_KEY", "PUBLIC_BASE_URL", "ISSUER_NAME", "ISSUER_PHONE", "BADGE_SIGNING_KEY")
               if not config.get(name)]
    if missing:
        raise ConfigurationError(
            "Refusing to start in production without "
            + ", ".join(missing)
            + ". Set them in the environment (SECRET_KEY: a long random string; PUBLIC_BASE_URL: "
            "the https address printed in QR codes, e.g. https://cxm.example.cn; ISSUER_NAME and ISSUER_PHONE: "
            "the association that issues the badges and its public phone; BADGE_SIGNING_KEY: the Ed25519 key "
            "that signs the QR codes, deploy/DEPLOY.md \"Badge signing key\"), or set "
            "REGISTRY_ENV=development for a local run."
        )
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters long in production.")
