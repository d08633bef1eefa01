"""Settings are typed, validated with one clear line per bad value, and never leak the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, read_env_file

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.secret-part-of-the-token"


def test_defaults_without_any_environment() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.discord_token is None
    assert settings.db_path == Path("casewatch.db")
    assert settings.alert_on_first_poll is False


def test_values_are_parsed_and_typed(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("https://example.org/feed\n")
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "CASEWATCH_DB": str(tmp_path / "x.db"),
            "CASEWATCH_LOG_LEVEL": "debug",
            "CASEWATCH_POLL_INTERVAL": "600",
            "CASEWATCH_ALERT_ON_FIRST_POLL": "yes",
            "CASEWATCH_ALLOWED_FEED_HOSTS": "Intranet.local, feeds.lan",
            "CASEWATCH_FEEDS_FILE": str(feeds),
        },
        env_file=None,
    )
    assert settings.discord_token == TOKEN
    assert settings.log_level == "DEBUG" and settings.poll_interval_s == 600
    assert settings.alert_on_first_poll is True
    assert settings.allowed_feed_hosts == ("intranet.local", "feeds.lan")
    assert settings.feeds_file == feeds


def test_every_bad_value_is_reported_and_the_token_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            {
                "DISCORD_TOKEN": "not a token",
                "CASEWATCH_POLL_INTERVAL": "soon",
                "CASEWATCH_MAX_FAILURES": "0",
                "CASEWATCH_ALERT_ON_FIRST_POLL": "maybe",
                "CASEWATCH_LOG_LEVEL": "LOUD",
                "CASEWATCH_FEEDS_FILE": "/nonexistent/feeds.txt",
            },
            env_file=None,
        )
    message = str(info.value)
    for name in (
        "DISCORD_TOKEN",
        "CASEWATCH_POLL_INTERVAL",
        "CASEWATCH_MAX_FAILURES",
        "CASEWATCH_ALERT_ON_FIRST_POLL",
        "CASEWATCH_LOG_LEVEL",
        "CASEWATCH_FEEDS_FILE",
    ):
        assert name in message
    assert "not a token" not in message


def test_min_interval_must_not_exceed_max() -> None:
    with pytest.raises(ConfigError, match="must not exceed"):
        load_settings({"CASEWATCH_MIN_INTERVAL": "7200", "CASEWATCH_MAX_INTERVAL": "3600"}, env_file=None)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"# comment\nexport DISCORD_TOKEN='{TOKEN}'\nCASEWATCH_POLL_INTERVAL=120\n")
    assert read_env_file(env)["DISCORD_TOKEN"] == TOKEN
    settings = load_settings({"CASEWATCH_POLL_INTERVAL": "300"}, env_file=env)
    assert settings.discord_token == TOKEN and settings.poll_interval_s == 300
    bad = tmp_path / "bad.env"
    bad.write_text("JUSTAWORD\n")
    with pytest.raises(ConfigError, match=r"bad\.env:1"):
        read_env_file(bad)


def test_repr_hides_the_token() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert TOKEN not in repr(settings) and "discord_token=set" in repr(settings)
