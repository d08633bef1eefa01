"""Settings from the environment (and an optional ``.env`` file), typed and validated at startup.

Nothing happens at import time: ``load_settings()`` is called by the CLI, so tests build ``Settings``
directly. Every bad value is reported at once, one line each, naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.docket.settings import ClientSettings

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """One or more settings are invalid; the message lists each problem on its own line."""


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False)  # never printed
    db_path: Path = Path("casewatch.db")
    # CASEWATCH_DATABASE_URL: a PostgreSQL database instead of the SQLite file (may hold a password).
    database_url: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    feeds_file: Path | None = None
    poll_interval_s: int = 900
    min_interval_s: int = 300
    max_interval_s: int = 6 * 3600
    max_failures: int = 8
    fetch_timeout_s: float = 60.0
    max_feed_bytes: int = 10 * 1024 * 1024
    per_host_limit: int = 2
    global_fetch_limit: int = 16
    parser_workers: int = 2
    alert_on_first_poll: bool = False
    allow_private_feeds: bool = False
    allowed_feed_hosts: tuple[str, ...] = ()
    dev_guild_id: int | None = None
    delivery_interval_s: float = 5.0
    # The read-only web view (bot/web): off unless a port is set.
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    web_token: str | None = field(default=None, repr=False)  # opens /feeds to non-local requests; never printed
    public_url: str | None = None  # where the web view is reachable from outside, e.g. https://cases.example.org
    # Docket lookups on CourtListener (COURTLISTENER_*): off without a token.
    courtlistener: ClientSettings = field(default_factory=ClientSettings, repr=False)

    def __repr__(self) -> str:  # keep the token (and a database password) out of any accidental log line
        hidden = ("discord_token", "web_token", "database_url", "courtlistener")
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if k not in hidden)
        url = redact_url(self.database_url) if self.database_url else None
        return (
            f"Settings({shown}, database_url={url!r}, discord_token={'set' if self.discord_token else 'unset'}, "
            f"web_token={'set' if self.web_token else 'unset'}, "
            f"docket_lookups={'on' if self.courtlistener.enabled else 'off'})"
        )

    @property
    def database(self) -> str:
        """Where the data lives, for messages: the PostgreSQL URL without its password, or the file."""
        return redact_url(self.database_url) if self.database_url else str(self.db_path)


def _int(lo: int, hi: int, unit: str = "") -> Callable[[str], int]:
    what = f"a whole number of {unit}" if unit else "a whole number"

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be {what} between {lo} and {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be {what} between {lo} and {hi}")
        return value

    return parse


def _float(lo: float, hi: float, unit: str = "seconds") -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"must be a number of {unit} between {lo:g} and {hi:g}") from None
        if not lo <= value <= hi:  # also refuses nan
            raise ValueError(f"must be a number of {unit} between {lo:g} and {hi:g}")
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return level


def parse_log_level(raw: str, *, source: str = "--log-level") -> str:
    """A log level given on the command line, validated like ``CASEWATCH_LOG_LEVEL`` (ConfigError if bad)."""
    try:
        return _level(raw)
    except ValueError as exc:
        raise ConfigError(f"invalid setting {source}={raw!r}: {exc}") from None


def _snowflake(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if not 0 < value < 2**63:
        raise ValueError("must be a Discord server id (a positive whole number, e.g. 123456789012345678)")
    return value


def _hosts(raw: str) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in raw.split(",") if h.strip())


def _token(raw: str) -> str | None:
    token = raw.strip()
    if not token:
        return None
    if any(c.isspace() for c in token) or token.count(".") < 2:
        raise ValueError("does not look like a bot token (three dot-separated parts, no spaces)")
    return token


def _port(raw: str) -> int | None:
    if not raw.strip():
        return None
    return _int(1, 65535)(raw)


def web_port(raw: str) -> int:
    """A TCP port for the web view (``--port`` or ``CASEWATCH_WEB_PORT``): 1-65535."""
    return _int(1, 65535)(raw)


def web_host(raw: str) -> str:
    """An address or host name to bind the web view to (``--host`` or ``CASEWATCH_WEB_HOST``)."""
    host = raw.strip()
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise ValueError("must be an address or host name to listen on, e.g. 127.0.0.1")
    return host


def _web_token(raw: str) -> str | None:
    token = raw.strip()
    if not token:
        return None
    if len(token) < 16 or any(c.isspace() or not c.isprintable() for c in token):
        raise ValueError("must be at least 16 printable characters without spaces (e.g. from `openssl rand -hex 24`)")
    return token


def _public_url(raw: str) -> str | None:
    from urllib.parse import urlsplit

    text = raw.strip()
    if not text:
        return None
    problem = "must be an http(s) URL such as https://cases.example.org"
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(problem)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(problem)
    return text.rstrip("/")


def redact_url(url: str) -> str:
    """A database URL with its password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "<unparsable URL>"
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


_DATABASE_URL_HINT = "must be a PostgreSQL URL such as postgresql://casewatch@db.example.org:5432/casewatch"


def database_url(raw: str) -> str | None:
    """``CASEWATCH_DATABASE_URL``: ``postgresql://[user[:password]@]host[:port]/database[?options]``;
    empty keeps the SQLite file."""
    from urllib.parse import urlsplit

    text = raw.strip()
    if not text:
        return None
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(_DATABASE_URL_HINT)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise ValueError(f"{_DATABASE_URL_HINT} ({exc})") from None
    if parts.scheme.lower() not in ("postgresql", "postgres"):
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValueError(f"{_DATABASE_URL_HINT}; got {shown} (unset it to use the SQLite file CASEWATCH_DB)")
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise ValueError(f"{_DATABASE_URL_HINT}: it names no database")
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError(f"{_DATABASE_URL_HINT}: it names no host")
    return text


def db_path(raw: str | Path) -> Path:
    """A database file path (``--db`` or ``CASEWATCH_DB``): not empty, not a directory."""
    text = str(raw).strip()
    if not text:
        raise ValueError("must be a database file path, e.g. casewatch.db")
    path = Path(text).expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a database file, e.g. {path / 'casewatch.db'}")
    return path


def _existing_file(raw: str) -> Path | None:
    if not raw.strip():
        return None
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise ValueError(f"file {path} does not exist")
    return path


# variable name -> (Settings field, parser)
_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "DISCORD_TOKEN": ("discord_token", _token),
    "CASEWATCH_DB": ("db_path", lambda raw: db_path(raw)),
    "CASEWATCH_DATABASE_URL": ("database_url", database_url),
    "CASEWATCH_LOG_LEVEL": ("log_level", _level),
    "CASEWATCH_FEEDS_FILE": ("feeds_file", _existing_file),
    "CASEWATCH_POLL_INTERVAL": ("poll_interval_s", _int(60, 7 * 86400, "seconds")),
    "CASEWATCH_MIN_INTERVAL": ("min_interval_s", _int(30, 86400, "seconds")),
    "CASEWATCH_MAX_INTERVAL": ("max_interval_s", _int(60, 7 * 86400, "seconds")),
    "CASEWATCH_MAX_FAILURES": ("max_failures", _int(1, 1000)),
    "CASEWATCH_FETCH_TIMEOUT": ("fetch_timeout_s", _float(1, 600)),
    "CASEWATCH_MAX_FEED_BYTES": ("max_feed_bytes", _int(1024, 200 * 1024 * 1024, "bytes")),
    "CASEWATCH_PER_HOST_LIMIT": ("per_host_limit", _int(1, 32)),
    "CASEWATCH_GLOBAL_FETCH_LIMIT": ("global_fetch_limit", _int(1, 512)),
    "CASEWATCH_PARSER_WORKERS": ("parser_workers", _int(0, 64)),
    "CASEWATCH_ALERT_ON_FIRST_POLL": ("alert_on_first_poll", _bool),
    "CASEWATCH_ALLOW_PRIVATE_FEEDS": ("allow_private_feeds", _bool),
    "CASEWATCH_ALLOWED_FEED_HOSTS": ("allowed_feed_hosts", _hosts),
    "CASEWATCH_DEV_GUILD_ID": ("dev_guild_id", _snowflake),
    "CASEWATCH_DELIVERY_INTERVAL": ("delivery_interval_s", _float(0.5, 3600)),
    "CASEWATCH_WEB_HOST": ("web_host", web_host),
    "CASEWATCH_WEB_PORT": ("web_port", _port),
    "CASEWATCH_WEB_TOKEN": ("web_token", _web_token),
    "CASEWATCH_PUBLIC_URL": ("public_url", _public_url),
}

_SECRETS = ("DISCORD_TOKEN", "CASEWATCH_WEB_TOKEN")


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: KEY=VALUE lines, ``#`` comments, optional quotes. No interpolation."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env"), **overrides: Any
) -> Settings:
    """Settings from ``environ`` (default: the process environment) over ``env_file``, then overrides."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update(read_env_file(env_file))
    merged.update(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, (attr, parse) in _FIELDS.items():
        raw = merged.get(name)
        if raw is None or overrides.get(attr) is not None:  # a command-line option wins (validated there)
            continue
        try:
            values[attr] = parse(raw)
        except ValueError as exc:
            shown = "<hidden>" if name in _SECRETS else repr(redact_url(raw) if name == "CASEWATCH_DATABASE_URL" else raw)
            problems.append(f"{name}={shown}: {exc}")
    if "courtlistener" not in overrides:
        try:
            values["courtlistener"] = ClientSettings.from_env(merged)
        except ValueError as exc:
            problems.append(str(exc))  # "COURTLISTENER_PER_MINUTE: 'abc' is not a whole number"
    values.update({k: v for k, v in overrides.items() if v is not None})
    min_s = values.get("min_interval_s", Settings.min_interval_s)
    max_s = values.get("max_interval_s", Settings.max_interval_s)
    if min_s > max_s:
        problems.append(f"CASEWATCH_MIN_INTERVAL ({min_s}) must not exceed CASEWATCH_MAX_INTERVAL ({max_s})")
    if len(problems) == 1:
        raise ConfigError(f"invalid setting {problems[0]}")
    if problems:
        raise ConfigError("invalid settings:\n  " + "\n  ".join(problems))
    return Settings(**values)
