"""Promise 8, secrets stay secret: the real command line, at DEBUG (discord.py's own logs included), never
prints the token; and ``.env``, where an operator keeps it, is git-ignored.

The bot runs as ``casewatch sync`` and ``casewatch run`` in subprocesses (``tests/e2e/crash_runner.py cli``)
with the token only in the environment, against a FakeDiscord in this process: login, two slash
commands, a feed poll and a delivery, then a graceful Ctrl-C. Every byte of stdout and stderr is searched
for the token, each of its three dot-separated parts, and its base64 forms.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.botworld import SUMMONS, rss
from tests.e2e.crash_runner import READY_LINE
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import FakeMember
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[2]


def bot_token(bot_id: int) -> str:
    """Shaped like a real token: base64 of the bot's id, a timestamp part, an HMAC part."""
    head = base64.b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.GxY7Qa.Zq9-secret-hmac-part-Vb31LmNoPqRsTuVwXyZ0aB"


def leaks(token: str, text: str) -> list[str]:
    """Which forms of the token appear in ``text``."""
    forms = {"token": token}
    forms.update({f"part {i}": part for i, part in enumerate(token.split("."), start=1)})
    forms["base64"] = base64.b64encode(token.encode()).decode()
    forms["urlsafe base64"] = base64.urlsafe_b64encode(token.encode()).decode()
    return [name for name, form in forms.items() if form and form in text]


def cli_env(fake: FakeDiscord, token: str, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWATCH_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=token,
        CASEWATCH_DB=str(db_path),
        CASEWATCH_LOG_LEVEL="DEBUG",
        CASEWATCH_ALERT_ON_FIRST_POLL="true",
        CASEWATCH_ALLOW_PRIVATE_FEEDS="true",  # the feed server is on 127.0.0.1
        CASEWATCH_DELIVERY_INTERVAL="0.5",
        CASEWATCH_PARSER_WORKERS="0",
        CASEWATCH_TEST_API_BASE=fake.api_base,
        CASEWATCH_TEST_GATEWAY=fake.gateway_url,
    )
    return env


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.crash_runner",
        "cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def collect(proc: asyncio.subprocess.Process, sink: list[str], ready: asyncio.Event) -> None:
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        text = line.decode(errors="replace")
        sink.append(text)
        if text.strip() == READY_LINE:
            ready.set()


async def until(predicate: object, timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # type: ignore[operator]
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout}s") from None


async def test_token_never_appears_in_debug_output(tmp_path: Path) -> None:
    output: list[str] = []
    async with FakeDiscord() as probe:
        token = bot_token(probe.bot_user.id)
    async with FakeDiscord(token=token) as fake, FeedServer() as server:
        server.route("/feed.xml", body=rss(SUMMONS))
        guild = fake.add_guild("Newsroom")
        alerts = fake.add_text_channel(guild, "alerts")
        admin: FakeMember = fake.add_member(guild, "mod", permissions=["manage_guild"])
        env = cli_env(fake, token, tmp_path / "bot.db")

        sync = await run_cli(env, tmp_path, "sync")
        await asyncio.wait_for(collect(sync, output, asyncio.Event()), 30)
        assert await sync.wait() == 0, "".join(output)
        assert fake.sync_count == 1

        proc = await run_cli(env, tmp_path, "run")
        ready = asyncio.Event()
        reader = asyncio.create_task(collect(proc, output, ready))
        try:
            await asyncio.wait_for(ready.wait(), 20)
            answer = await (
                await fake.invoke_slash(guild, alerts, admin, "alerts set", {"channel": alerts})
            ).response(timeout=5)
            assert "alerts" in (answer.content or "").lower(), answer
            added = await fake.invoke_slash(
                guild, alerts, admin, "feeds add", {"url": server.url("/feed.xml")}
            )
            assert "Added" in ((await added.response(timeout=5)).content or "")
            await until(lambda: len(fake.messages(alerts)) == 1, 15, "the alert")
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)  # Ctrl-C: the shutdown path logs too
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            await asyncio.wait_for(reader, 5)

    text = "".join(output)
    assert fake.messages(alerts)[0].embeds, "the delivery went through"
    assert "DEBUG discord.http" in text and "DEBUG discord.gateway" in text, "discord.py debug logs missing"
    assert "/messages with" in text, "request bodies were logged, so the check is meaningful"
    assert leaks(token, text) == [], f"token leaked as {leaks(token, text)}"


def test_dotenv_is_git_ignored() -> None:
    git = shutil.which("git")
    if git and (REPO / ".git").exists():
        found = subprocess.run(
            [git, "check-ignore", "--no-index", "-q", ".env"], cwd=REPO, check=False, capture_output=True
        )
        assert found.returncode == 0, ".env is not ignored by git"
    else:
        patterns = {line.strip() for line in (REPO / ".gitignore").read_text().splitlines()}
        assert patterns & {".env", "/.env", ".env*", "*.env"}, ".env is not listed in .gitignore"
