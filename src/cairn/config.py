"""One Settings object, read from CAIRN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path = Path("./cairn-data")
    database_url: str | None = None
    base_url: str | None = None
    admin_username: str | None = None
    admin_password: str | None = None
    host: str = "127.0.0.1"
    port: int = 7990
    # How long a verified credential is trusted before it is checked against the database again.
    auth_cache_seconds: float = 5.0
    # "default" (argon2id, RFC 9106 low-memory profile) or "cheapest" (tests only).
    argon2_profile: str = "default"
    db_pool_size: int = field(default=10)
    # Bitbucket's default cap on the annotations one Code Insights report holds.
    insights_max_annotations: int = 1000
    access_log: bool = True  # a line per request on standard error (CAIRN_ACCESS_LOG=0: none)
    log_format: str = "text"  # or "json": one object per line (CAIRN_LOG_FORMAT)
    metrics: str = "public"  # who may read /metrics: "public", "off", or one user's name (CAIRN_METRICS)
    # Whether webhooks may call loopback, private and link-local addresses (cairn.webhooks.safety).
    webhook_allow_private: bool = False
    # "auto": on SQLite the process keeps its threads on one CPU (cairn.system.affinity); "off": never.
    cpu_affinity: str = "auto"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values: dict = {}
        if "CAIRN_HOME" in env:
            values["home"] = Path(env["CAIRN_HOME"])
        for name in ("database_url", "base_url", "admin_username", "admin_password", "argon2_profile"):
            key = "CAIRN_" + name.upper()
            if env.get(key):
                values[name] = env[key]
        if env.get("CAIRN_AUTH_CACHE_SECONDS"):
            values["auth_cache_seconds"] = float(env["CAIRN_AUTH_CACHE_SECONDS"])
        if env.get("CAIRN_INSIGHTS_MAX_ANNOTATIONS"):
            values["insights_max_annotations"] = int(env["CAIRN_INSIGHTS_MAX_ANNOTATIONS"])
        if env.get("CAIRN_DB_POOL_SIZE"):
            values["db_pool_size"] = int(env["CAIRN_DB_POOL_SIZE"])
        for name in ("access_log", "webhook_allow_private"):
            if env.get("CAIRN_" + name.upper()):
                values[name] = env["CAIRN_" + name.upper()].strip().lower() not in ("0", "false", "no", "off")
        if env.get("CAIRN_LOG_FORMAT"):
            values["log_format"] = env["CAIRN_LOG_FORMAT"].strip().lower()
        if env.get("CAIRN_CPU_AFFINITY"):
            values["cpu_affinity"] = env["CAIRN_CPU_AFFINITY"].strip().lower()
        if env.get("CAIRN_METRICS"):
            values["metrics"] = env["CAIRN_METRICS"].strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: the configured database, or the embedded SQLite file."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.home / 'cairn.db').resolve()}"
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+asyncpg://" + url[len(plain):]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
        return url

    @property
    def database_usable(self) -> bool:
        """Whether the URL names a database cairn has a driver for (SQLite file or PostgreSQL)."""
        return self.sqlalchemy_url.startswith(("sqlite+aiosqlite:///", "postgresql+asyncpg://"))

    @property
    def public_base_url(self) -> str:
        """The externally visible base URL (may carry a context path), without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")
