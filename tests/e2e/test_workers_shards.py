"""``casewatch run --shards ... --shard-count N``: gateway processes that each answer their own guilds.

Two CasewatchBots (shard 0 and shard 1 of 2) over one PostgreSQL database against FakeDiscord, which
routes each guild's events and interactions to the session of the guild's shard as Discord does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import CasewatchBot
from bot.cli import main
from storage.postgres.store import PostgresStore
from tests.e2e.botworld import bot_settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.client import running_bot
from tests.fakediscord.state import FakeGuild


def guilds_on_both_shards(fake: FakeDiscord) -> dict[int, FakeGuild]:
    """One guild on shard 0 and one on shard 1 of 2 (a guild's shard is (id >> 22) % count)."""
    found: dict[int, FakeGuild] = {}
    while len(found) < 2:
        guild = fake.add_guild(f"g{len(fake.guilds)}")
        found.setdefault((guild.id >> 22) % 2, guild)
    return found


def on_shard(fake: FakeDiscord, shard: int) -> list[int]:
    return sorted(g.id for g in fake.guilds.values() if (g.id >> 22) % 2 == shard)


async def test_each_shard_process_answers_its_own_guilds(
    fake_discord: FakeDiscord, tmp_path: Path, pg_schema_url: str
) -> None:
    fake = fake_discord
    guilds = guilds_on_both_shards(fake)
    channels = {s: fake.add_text_channel(g, "alerts") for s, g in guilds.items()}
    admins = {s: fake.add_member(g, "mod", permissions=["manage_guild"]) for s, g in guilds.items()}
    settings = bot_settings(tmp_path, fake, database_url=pg_schema_url)
    shard0 = CasewatchBot(settings, run_jobs=False, shard_ids=[0], shard_count=2, guild_ready_timeout=0.05)
    async with running_bot(shard0, fake):
        await shard0.tree.sync()
        assert shard0.scheduler is None  # gateway only: no poll, delivery or periodic job
        assert sorted(g.id for g in shard0.guilds) == on_shard(fake, 0) and guilds[0].id in on_shard(fake, 0)
        answered = await (
            await fake.invoke_slash(guilds[0], channels[0], admins[0], "alerts set", {"channel": channels[0]})
        ).response()
        assert "alerts" in str(answered.data).lower()
        unanswered = await fake.invoke_slash(guilds[1], channels[1], admins[1], "alerts set", {"channel": channels[1]})
        with pytest.raises(TimeoutError):
            await unanswered.response(timeout=0.5)  # shard 1's guild: not this process's
        shard1 = CasewatchBot(
            settings, run_jobs=False, periodic_jobs=True, shard_ids=[1], shard_count=2, guild_ready_timeout=0.05
        )
        async with running_bot(shard1, fake):
            assert sorted(g.id for g in shard1.guilds) == on_shard(fake, 1) and guilds[1].id in on_shard(fake, 1)
            assert shard1.scheduler is not None  # asked for the periodic jobs
            answered = await (
                await fake.invoke_slash(guilds[1], channels[1], admins[1], "alerts set", {"channel": channels[1]})
            ).response()
            assert "alerts" in str(answered.data).lower()
    # Both wrote to the one database.
    async with await PostgresStore.open(pg_schema_url) as store:
        for shard, guild in guilds.items():
            assert (await store.guilds.settings(guild.id)).alert_channel_id == channels[shard].id


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--shards", "0-3"], "--shards and --shard-count go together (e.g. --shards 0-3 --shard-count 8)"),
        (["run", "--shards", "0-4", "--shard-count", "4"], "shard 4 does not exist with --shard-count 4 (ids are 0-3)"),
        (["run", "--jobs"], "--jobs only applies to a shard process (--shards ... --shard-count ...)"),
        (
            ["run", "--shards", "0", "--shard-count", "2", "--once"],
            "--shards runs a gateway process: it cannot be combined with --once, --demo or --console",
        ),
        (
            ["run", "--shards", "0,1", "--shard-count", "2"],
            "--shards runs the Discord bot: set DISCORD_TOKEN in the environment or .env",
        ),
    ],
)
def test_shard_options_are_checked_in_one_line(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("CASEWATCH_DATABASE_URL", raising=False)
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"casewatch: {message}"]


def test_bad_shard_ids_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--shards", "3-1", "--shard-count", "4"])
    assert exit_info.value.code == 2
    assert "must be shard ids like 0-3 or 0,2,5" in capsys.readouterr().err
