"""The front door (issue 15): the real ``casewatch`` entry point in a subprocess, fed every class of bad
input and broken environment a new user meets. Each answer is an exit status, one line on stderr starting
``casewatch:`` and no traceback, and nothing is written where it should not be.

Classes covered: a file that is not a database, a truncated (damaged) database, a database location that
cannot be opened or created (/proc, a read-only directory, a parent that is a file, a directory given as
the database, a missing directory), bad option and setting values, output closed early (``| head``),
Discord unreachable, and input validated before the disk is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Front door feed</title>
<item><guid>a1</guid><title>Reddit fights subpoena for the identities of anonymous users</title>
<link>https://frontdoor.example.org/a1</link><pubDate>Mon, 01 May 2023 10:00:00 GMT</pubDate>
<description>Reddit asked a federal judge to quash a subpoena from record labels seeking user names.</description></item>
<item><guid>a2</guid><title>Gardening tips for spring</title><link>https://frontdoor.example.org/a2</link>
<description>Plant early.</description></item>
</channel></rss>"""

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.not-a-real-token-at-all"


def big_feed(items: int) -> bytes:
    body = "".join(
        f"<item><guid>g{i}</guid><title>Story number {i} about gardening and the weather this week</title>"
        f"<link>https://big.example.org/{i}</link></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{body}</channel></rss>'.encode()


def closed_port() -> int:
    """A local port nobody listens on (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(**extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    env.update(extra)
    return env


def casewatch(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env or base_env(),
    )


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    err = proc.stderr
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("casewatch: "), err
    assert proc.returncode == code, (proc.returncode, err)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real casewatch database with a few thousand articles (made by the CLI itself)."""
    work = tmp_path_factory.mktemp("real")
    (work / "big.xml").write_bytes(big_feed(3000))
    (work / "one.xml").write_bytes(FEED)
    db = work / "real.db"
    proc = casewatch("--log-level", "ERROR", "ingest", "big.xml", "one.xml", "--db", str(db), "--quiet", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert not Path(f"{db}-wal").exists()
    return db


# --- 1. a file that is not a database, a damaged database -------------------------------------------

DB_COMMANDS = [
    ["cases"],
    ["articles", "--json"],
    ["feeds", "list"],
    ["ingest", "one.xml"],
    ["run", "--once"],
    ["reprocess"],
    ["feeds", "add", "https://example.org/feed"],
]


@pytest.mark.parametrize("command", DB_COMMANDS, ids=lambda c: " ".join(c))
def test_a_random_file_is_not_a_database(command: list[str], tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    db.write_bytes(os.urandom(8192))
    before = digest(db)
    (tmp_path / "one.xml").write_bytes(FEED)
    proc = casewatch(*command, "--db", str(db), cwd=tmp_path)
    assert_one_line(proc, 2, "is not a casewatch database", str(db))
    assert digest(db) == before, "the file was changed"


@pytest.mark.parametrize("command", DB_COMMANDS[:6], ids=lambda c: " ".join(c))
def test_a_truncated_database_is_reported_as_damaged(command: list[str], real_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    shutil.copyfile(real_db, db)
    with db.open("r+b") as fh:
        fh.truncate(3 * 4096)  # the header and schema survive; the tables' pages are gone
    (tmp_path / "one.xml").write_bytes(FEED)
    proc = casewatch(*command, "--db", str(db), cwd=tmp_path)
    assert_one_line(proc, 2, "is damaged", "malformed", str(db))


# --- 2. a database location that cannot be opened or created ----------------------------------------


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", [["ingest", "one.xml"], ["feeds", "add", "https://example.org/f"], ["run", "--once"]])
def test_proc_cannot_hold_a_database(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "one.xml").write_bytes(FEED)
    proc = casewatch(*command, "--db", "/proc/x.db", cwd=tmp_path)
    assert_one_line(proc, 2, "cannot open or create the database /proc/x.db")


@pytest.mark.parametrize(
    "command", [["cases"], ["feeds", "list"], ["ingest", "one.xml"], ["feeds", "add", "https://example.org/f"]]
)
def test_a_parent_that_is_a_file(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "one.xml").write_bytes(FEED)
    (tmp_path / "README.md").write_text("not a directory\n")
    proc = casewatch(*command, "--db", "README.md/x.db", cwd=tmp_path)
    assert_one_line(proc, 2, "README.md is not a directory")


@pytest.mark.parametrize("how", ["env", "option"])
def test_a_directory_is_not_a_database_file(how: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    if how == "env":
        proc = casewatch("feeds", "list", cwd=tmp_path, env=base_env(CASEWATCH_DB=str(tmp_path / "data")))
        line = assert_one_line(proc, 2, "CASEWATCH_DB=", "is a directory")
    else:
        proc = casewatch("feeds", "list", "--db", str(tmp_path / "data"), cwd=tmp_path)
        line = assert_one_line(proc, 2, "--db", "is a directory")
    assert "data/casewatch.db" in line  # says what to give instead
    assert list((tmp_path / "data").iterdir()) == []


def test_a_missing_directory_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "deeper" / "x.db"
    proc = casewatch("feeds", "add", "https://example.org/feed", "--db", str(db), cwd=tmp_path)
    assert_one_line(proc, 2, "does not exist", "create it first")
    assert not (tmp_path / "typo").exists()


@pytest.fixture
def read_only_dir(real_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A directory holding a real database that this process cannot write: a read-only bind mount when
    running as root (root ignores file modes), else a directory without write permission."""
    src = tmp_path / "ro"
    src.mkdir()
    shutil.copyfile(real_db, src / "r.db")
    if os.geteuid() != 0:
        src.chmod(0o555)
        (src / "r.db").chmod(0o444)
        yield src
        src.chmod(0o755)
        return
    if shutil.which("mount") is None:
        pytest.skip("running as root without mount(8): cannot make a read-only location")
    mounted = subprocess.run(["mount", "--bind", str(src), str(src)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount: {mounted.stderr.decode().strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(src)], capture_output=True)
        if ro.returncode != 0:
            pytest.skip(f"cannot remount read-only: {ro.stderr.decode().strip()}")
        yield src
    finally:
        subprocess.run(["umount", str(src)], check=False)


def test_a_read_only_location(read_only_dir: Path, tmp_path: Path) -> None:
    db = read_only_dir / "r.db"
    before = sorted(p.name for p in read_only_dir.iterdir())
    # reading works: the read-only commands fall back to a read-only open
    proc = casewatch("cases", "--json", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 1
    proc = casewatch("articles", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0 and "Reddit fights subpoena" in proc.stdout, proc.stderr
    # writing says why not
    (tmp_path / "one.xml").write_bytes(FEED)
    proc = casewatch("--log-level", "ERROR", "ingest", "one.xml", "--db", str(db), cwd=tmp_path)
    assert_one_line(proc, 2, "not writable")
    proc = casewatch("feeds", "add", "https://example.org/f", "--db", str(read_only_dir / "new.db"), cwd=tmp_path)
    assert_one_line(proc, 2, "cannot open or create the database", "not writable")
    assert sorted(p.name for p in read_only_dir.iterdir()) == before


# --- 3. bad option and setting values ----------------------------------------------------------------


def test_log_level_option_is_validated_like_the_setting(tmp_path: Path) -> None:
    option = assert_one_line(casewatch("--log-level", "LOUD", "cases", cwd=tmp_path), 2, "--log-level='LOUD'")
    setting = assert_one_line(
        casewatch("cases", cwd=tmp_path, env=base_env(CASEWATCH_LOG_LEVEL="LOUD")), 2, "CASEWATCH_LOG_LEVEL='LOUD'"
    )
    assert option.replace("--log-level", "X") == setting.replace("CASEWATCH_LOG_LEVEL", "X")
    assert "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in option


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CASEWATCH_POLL_INTERVAL", "often", "must be a whole number of seconds between 60 and 604800"),
        ("CASEWATCH_POLL_INTERVAL", "1.5", "must be a whole number of seconds"),
        ("CASEWATCH_FETCH_TIMEOUT", "soon", "must be a number of seconds between 1 and 600"),
        ("CASEWATCH_MAX_FEED_BYTES", "lots", "must be a whole number of bytes"),
        ("CASEWATCH_DEV_GUILD_ID", "-5", "must be a Discord server id"),
        ("CASEWATCH_DEV_GUILD_ID", "my-server", "must be a Discord server id"),
    ],
)
def test_bad_numbers_are_explained_in_words(name: str, value: str, says: str, tmp_path: Path) -> None:
    proc = casewatch("cases", cwd=tmp_path, env=base_env(**{name: value}))
    line = assert_one_line(proc, 2, name, says)
    assert "invalid literal" not in line and "could not convert" not in line


def test_bad_sync_guild_option(tmp_path: Path) -> None:
    proc = casewatch("sync", "--guild", "-5", cwd=tmp_path, env=base_env(DISCORD_TOKEN=TOKEN))
    assert proc.returncode == 2 and "must be a Discord server id" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- 4. output closed early --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["articles"], ["articles", "--json"], ["feeds", "test", "big.xml"], ["feeds", "list"]],
    ids=lambda c: " ".join(c),
)
def test_output_piped_into_head_exits_quietly(command: list[str], real_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    shutil.copyfile(real_db, db)
    (tmp_path / "big.xml").write_bytes(big_feed(3000))
    if command[:2] == ["feeds", "list"]:  # enough feeds to fill the pipe
        (tmp_path / "list.txt").write_text("".join(f"https://feeds{i}.example.org/rss\n" for i in range(1500)))
        assert casewatch("feeds", "import", "list.txt", "--db", str(db), cwd=tmp_path).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *command, "--db", str(db)] if command[0] != "feeds" or command[1] != "test"
        else [sys.executable, "-m", "bot", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=base_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # what `head -1` does: read a line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert code == 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left


# --- 5. Discord unreachable, and run --once with a token ---------------------------------------------

POINT_DISCORD_AT = (
    "import sys; from discord.http import Route; Route.BASE = sys.argv[1]; "
    "from bot.cli import main; sys.exit(main(sys.argv[2:]))"
)


def test_run_without_reaching_discord_says_so_in_one_line(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{closed_port()}/api/v10"
    proc = subprocess.run(
        [sys.executable, "-c", POINT_DISCORD_AT, api, "run", "--db", str(tmp_path / "bot.db")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=base_env(DISCORD_TOKEN=TOKEN),
    )
    line = assert_one_line(proc, 1, "could not reach Discord", "127.0.0.1")
    assert TOKEN not in proc.stderr + proc.stdout
    assert "PyNaCl" not in proc.stderr and "voice" not in proc.stderr
    assert "check the network" in line


def test_run_once_with_a_token_is_console_mode(tmp_path: Path) -> None:
    """--once wins over DISCORD_TOKEN: one poll, a report with each failure's reason, exit."""
    feed_url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    (tmp_path / "list.txt").write_text(feed_url + "\n")
    api = f"http://127.0.0.1:{closed_port()}/api/v10"
    env = base_env(DISCORD_TOKEN=TOKEN, CASEWATCH_FEEDS_FILE=str(tmp_path / "list.txt"), CASEWATCH_LOG_LEVEL="WARNING")
    proc = subprocess.run(
        [sys.executable, "-c", POINT_DISCORD_AT, api, "run", "--once", "--db", "once.db"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert "Traceback" not in proc.stderr and "Discord" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, proc.stderr  # the only feed failed
    assert "polled 1 feeds: 0 ok, 1 failed" in proc.stderr
    assert f"failed: {feed_url}: " in proc.stderr  # the reason, not just a count
    assert "retried" in proc.stderr and "next poll due" in proc.stderr
    again = subprocess.run(
        [sys.executable, "-c", POINT_DISCORD_AT, api, "run", "--once", "--db", "once.db"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert again.returncode == 0, again.stderr
    assert "no feed is due yet" in again.stderr and "retried" in again.stderr and "UTC" in again.stderr


# --- 6. input validated before the disk is touched ---------------------------------------------------


def test_a_bad_url_creates_no_database(tmp_path: Path) -> None:
    proc = casewatch("feeds", "add", "not-a-url", "--db", "new.db", cwd=tmp_path)
    assert_one_line(proc, 2, "not an http(s) URL")
    assert not (tmp_path / "new.db").exists()


def test_reading_commands_create_no_database(tmp_path: Path) -> None:
    assert_one_line(casewatch("cases", "--db", "none.db", cwd=tmp_path), 2, "no database at none.db")
    proc = casewatch("feeds", "list", "--db", "none.db", cwd=tmp_path)
    assert proc.returncode == 0 and "no database at none.db yet" in proc.stdout
    assert not list(tmp_path.iterdir())


def test_importing_a_feed_file_says_it_is_a_feed(tmp_path: Path) -> None:
    (tmp_path / "some_feed.xml").write_bytes(FEED)
    proc = casewatch("feeds", "import", "some_feed.xml", "--db", "x.db", cwd=tmp_path)
    assert_one_line(proc, 2, "is a feed, not a list of feeds", "feeds add")
    assert not (tmp_path / "x.db").exists()
    (tmp_path / "empty.txt").write_text("# nothing here\n")
    assert_one_line(casewatch("feeds", "import", "empty.txt", cwd=tmp_path), 2, "no feed URLs in empty.txt")


# --- 7. the demo reads well to a first-time user ---------------------------------------------------


def test_demo_explains_itself_without_log_noise_and_in_a_stable_order(tmp_path: Path) -> None:
    import re

    def demo() -> subprocess.CompletedProcess[str]:
        return casewatch("run", "--demo", cwd=tmp_path)  # default log level: INFO

    first, second = demo(), demo()
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("casewatch demo: ")
    assert first.stderr == ""  # no start-up log lines (schema, cache warm-up) unless DEBUG is asked for
    assert "HTTP 304" in first.stdout and "unchanged" in first.stdout

    def stable(out: str) -> str:
        out = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", out)
        return re.sub(r"casewatch-demo-\w+", "casewatch-demo-TMP", out)

    assert stable(first.stdout) == stable(second.stdout)
    assert not list(tmp_path.iterdir())  # the demo database lives in a temporary directory
