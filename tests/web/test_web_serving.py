"""Serving the web view: `casewatch web` (its settings, a taken port in one line) and the bot's built-in
server when CASEWATCH_WEB_PORT is set."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.app import CasewatchBot
from bot.cli import CommandFailed
from bot.config import ConfigError, load_settings
from bot.web import WebServer, WebServerError
from storage.store import SqliteStore
from tests.e2e.botworld import bot_settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.client import discord_pointed_at, running_bot
from tests.web.data import fill

REPO = Path(__file__).resolve().parents[2]
CASEWATCH = [sys.executable, "-m", "bot"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_web_settings() -> None:
    s = load_settings({}, env_file=None)
    assert (s.web_host, s.web_port, s.web_token, s.public_url) == ("127.0.0.1", None, None, None)
    s = load_settings(
        {
            "CASEWATCH_WEB_HOST": "0.0.0.0",
            "CASEWATCH_WEB_PORT": "8081",
            "CASEWATCH_WEB_TOKEN": "abcdefghijklmnopqrstuvwx",
            "CASEWATCH_PUBLIC_URL": "https://cases.example.org/",
        },
        env_file=None,
    )
    assert (s.web_host, s.web_port, s.public_url) == ("0.0.0.0", 8081, "https://cases.example.org")
    assert "abcdefghijklmnopqrstuvwx" not in repr(s) and "web_token=set" in repr(s)
    for name, bad in (
        ("CASEWATCH_WEB_PORT", "0"),
        ("CASEWATCH_WEB_PORT", "65536"),
        ("CASEWATCH_WEB_PORT", "http"),
        ("CASEWATCH_WEB_HOST", "a b"),
        ("CASEWATCH_PUBLIC_URL", "ftp://cases.example.org"),
        ("CASEWATCH_PUBLIC_URL", "javascript:alert(1)"),
        ("CASEWATCH_PUBLIC_URL", "https://"),
        ("CASEWATCH_PUBLIC_URL", "https://x.example:99999"),
        ("CASEWATCH_WEB_TOKEN", "short"),
    ):
        with pytest.raises(ConfigError) as exc:
            load_settings({name: bad}, env_file=None)
        assert name in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        load_settings({"CASEWATCH_WEB_TOKEN": "a secret value"}, env_file=None)
    assert "a secret value" not in str(exc.value)


async def test_port_taken_is_one_line(store: SqliteStore) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(WebServerError) as exc:
            await WebServer(store, "127.0.0.1", port).start()
    assert "already in use" in str(exc.value) and "\n" not in str(exc.value)


def _run(*args: str, db: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "CASEWATCH_DB": str(db)}
    env.pop("CASEWATCH_WEB_PORT", None)
    return subprocess.Popen(
        [*CASEWATCH, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        **kwargs,  # type: ignore[call-overload]
    )


async def test_casewatch_web_serves_and_stops(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    async with await SqliteStore.open(db) as store:
        filled = await fill(store)
    port = _free_port()
    proc = _run("web", "--port", str(port), db=db)
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        assert r.status == 200 and await r.text() == "ok"
                        break
                except aiohttp.ClientConnectionError:
                    assert proc.poll() is None, proc.communicate()
                    assert time.monotonic() < deadline, "casewatch web did not start"
                    await asyncio.sleep(0.2)
            async with http.get(f"http://127.0.0.1:{port}/cases/{filled.kept_id}") as r:
                assert r.status == 200 and "nightowl" in await r.text()
        # A second server on the same port: one line, exit status 1, no traceback.
        second = _run("web", "--port", str(port), db=db)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert err.strip().count("\n") == 0 and "already in use" in err and "Traceback" not in err
    finally:
        proc.send_signal(2)  # Ctrl-C
        proc.communicate(timeout=20)
    assert proc.returncode == 130


def _console(cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CASEWATCH, "run", "--console"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _console_alerts_sent(db: Path) -> bool:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT COUNT(*) FROM deliveries WHERE target_kind = 'console' AND state = 'sent'").fetchone()
    return bool(row and row[0])


async def test_console_mode_serves_the_web_view_when_a_port_is_set(tmp_path: Path) -> None:
    """`casewatch run --console` with CASEWATCH_WEB_PORT: alerts are printed and the cases it finds are on
    the page, from the same process; Ctrl-C stops both."""
    from tests.e2e.botworld import SUMMONS, rss
    from tests.feedserver import FeedServer

    db, port = tmp_path / "console.db", _free_port()
    async with FeedServer() as feeds:
        feeds.route("/feed.xml", body=rss(SUMMONS))
        async with await SqliteStore.open(db) as store:
            await store.feeds.add(feeds.url("/feed.xml"))
        env = {
            **os.environ,
            "CASEWATCH_DB": str(db),
            "CASEWATCH_WEB_PORT": str(port),
            "CASEWATCH_ALERT_ON_FIRST_POLL": "true",
            "CASEWATCH_ALLOW_PRIVATE_FEEDS": "true",
            "CASEWATCH_PARSER_WORKERS": "0",
            "CASEWATCH_DELIVERY_INTERVAL": "0.5",
        }
        env.pop("DISCORD_TOKEN", None)
        proc = _console(tmp_path, env)
        try:
            async with aiohttp.ClientSession() as http:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/") as r:
                            page = await r.text()
                            if r.status == 200 and "alt_uscis" in page:
                                break
                    except aiohttp.ClientConnectionError:
                        pass
                    assert proc.poll() is None, proc.communicate()
                    assert time.monotonic() < deadline, "no case on the console mode's web view"
                    await asyncio.sleep(0.2)
            while not _console_alerts_sent(db):  # the alert is printed by the same process
                assert time.monotonic() < deadline, "the console alert was not printed"
                await asyncio.sleep(0.2)
        finally:
            proc.send_signal(2)  # Ctrl-C
            out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert f"casewatch web view on http://127.0.0.1:{port}/ (read-only)" in err
    assert "Twitter" in out  # the alert was printed too
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["web", "--port", "0"], "between 1 and 65535"),
        (["web", "--port", "abc"], "between 1 and 65535"),
        (["web", "--host", "a b"], "address or host name"),
    ],
)
def test_casewatch_web_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    proc = _run(*args, db=tmp_path / "c.db")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and message in err


def test_casewatch_web_needs_a_database(tmp_path: Path) -> None:
    proc = _run("web", "--port", str(_free_port()), db=tmp_path / "missing.db")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "no database at" in err and "Traceback" not in err
    assert not (tmp_path / "missing.db").exists()  # it only reads: nothing created


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as running:
        with discord_pointed_at(running):
            yield running


async def test_bot_serves_the_web_view_when_a_port_is_set(tmp_path: Path, fake: FakeDiscord) -> None:
    """The real bot, logged in to a fake Discord, with CASEWATCH_WEB_PORT set."""
    settings = replace(bot_settings(tmp_path, fake), web_port=_free_port())
    async with await SqliteStore.open(settings.db_path) as store:
        filled = await fill(store)
    bot = CasewatchBot(settings, run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(bot, fake):
        assert bot.web is not None and bot.web.url == f"http://127.0.0.1:{settings.web_port}/"
        async with aiohttp.ClientSession() as http:
            async with http.get(bot.web.url + "healthz") as r:
                assert r.status == 200 and await r.text() == "ok"
            async with http.get(bot.web.url + f"cases/{filled.merged_id}", allow_redirects=False) as r:
                assert r.status == 301 and r.headers["Location"] == f"/cases/{filled.kept_id}"
            # What the bot's own connection commits shows on the web view's read connection.
            await bot.store.feeds.add("https://late-operator-feed.example.org/rss")
            async with http.get(bot.web.url + "feeds") as r:
                assert r.status == 200 and "late-operator-feed" in await r.text()
    assert bot.web is None
    with socket.socket() as again:  # closing the bot released the port
        again.bind(("127.0.0.1", settings.web_port or 0))


async def test_bot_without_a_web_port_serves_nothing(tmp_path: Path, fake: FakeDiscord) -> None:
    bot = CasewatchBot(bot_settings(tmp_path, fake), run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(bot, fake):
        assert bot.web is None


async def test_bot_start_with_the_port_taken_is_one_line(tmp_path: Path, fake: FakeDiscord) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        settings = replace(bot_settings(tmp_path, fake), web_port=holder.getsockname()[1])
        bot = CasewatchBot(settings, run_jobs=False, guild_ready_timeout=0.05)
        with pytest.raises(CommandFailed) as exc:
            async with running_bot(bot, fake):
                pass
        assert "already in use" in str(exc.value) and "\n" not in str(exc.value)
