"""Only cogs/, bot/app.py and the Discord publisher may import discord; the core stays plain Python."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ALLOWED = {"bot/app.py", "bot/delivery/publisher.py", "bot/workers/deliver.py"}


def imports_discord(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "discord" for a in node.names):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "discord"
        ):
            return True
    return False


def test_only_the_discord_adapter_imports_discord() -> None:
    offenders = []
    checked = 0
    for package in ("bot", "storage"):
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            checked += 1
            if rel not in ALLOWED and imports_discord(path):
                offenders.append(rel)
    assert checked > 30 and offenders == []
    assert all(imports_discord(REPO / p) for p in ALLOWED)  # the list is not stale
    assert any(imports_discord(p) for p in (REPO / "cogs").glob("*.py"))
