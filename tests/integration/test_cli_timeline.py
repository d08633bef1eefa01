"""``casewatch case timeline ID [--png FILE]`` on a real database: the text list, the picture written to a
file (or standard output), and one-line errors for an unknown case or a path that cannot be written."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.timeline_png import HEIGHT, WIDTH
from tests.integration.test_cli import run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_timeline_as_text(db: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, case_id = db
    code, out, err = run(capsys, "case", "timeline", case_id, "--db", path)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(case_id) and "Reddit" in lines[0]
    assert any(line.startswith("2023-05-01  status") for line in lines)
    assert lines[-1].startswith("undated") and "quashes" in lines[-1]  # the undated report, last


def test_timeline_png_is_written(db: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, case_id = db
    target = tmp_path / "timeline.png"
    code, out, err = run(capsys, "case", "timeline", case_id, "--png", str(target), "--db", path)
    assert code == 0 and out == "" and err.startswith(f"wrote {target}") and err.count("\n") == 1
    data = target.read_bytes()
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (WIDTH, HEIGHT)
    again = tmp_path / "again.png"
    assert run(capsys, "case", "timeline", case_id, "--png", str(again), "--db", path)[0] == 0
    assert again.read_bytes() == data  # the same case version: the same picture


def test_timeline_png_to_standard_output(db: tuple[str, str]) -> None:
    path, case_id = db
    done = subprocess.run(
        [sys.executable, "-m", "bot", "case", "timeline", case_id, "--png", "-", "--db", path],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith(PNG_MAGIC) and done.stderr == b""


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("missing-dir/t.png", "does not exist"),
        (".", "is a directory"),
        ("feed-file/t.png", "does not exist"),  # its "directory" is a file
    ],
)
def test_unwritable_png_path_is_one_line_before_the_database_is_read(
    db: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, words: str
) -> None:
    path, case_id = db
    (tmp_path / "feed-file").write_text("x")
    code, out, err = run(capsys, "case", "timeline", case_id, "--png", str(tmp_path / target), "--db", path)
    assert code == 2 and out == "" and err.startswith("casewatch: cannot write") and words in err
    assert err.count("\n") == 1


def test_write_failure_is_one_line(db: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, case_id = db
    code, out, err = run(capsys, "case", "timeline", case_id, "--png", "/sys/casewatch-timeline.png", "--db", path)
    assert code == 2 and out == "" and err.startswith("casewatch: cannot write /sys/casewatch-timeline.png")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_case_and_missing_database(
    db: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = db
    target = tmp_path / "t.png"
    code, out, err = run(capsys, "case", "timeline", "cnosuchcase0", "--png", str(target), "--db", path)
    assert code == 2 and out == "" and "no case 'cnosuchcase0'" in err and err.count("\n") == 1
    assert not target.exists()
    code, _, err = run(capsys, "case", "timeline", "c1", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no database at" in err and not (tmp_path / "none.db").exists()
