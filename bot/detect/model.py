"""The fitted weights detection runs on, loaded from ``bot/data/model.json`` (written by ``bot.train``).

The file is plain, reviewable JSON: for relevance one weight per named feature, a bias and the cut
chosen on the training data; for the stage, one such model per stage. ``use()`` swaps in other models
for the duration of a block, which is how ``benchmarks.quality`` scores weights fitted on training
folds only against the held-out disputes, through the very same pipeline.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.learn import Linear, OneVsRest

MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "model.json"


@dataclass(frozen=True, slots=True)
class Models:
    relevance: Linear
    stage: OneVsRest
    meta: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"meta": self.meta, "relevance": self.relevance.to_json(), "stage": self.stage.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Models:
        return cls(
            relevance=Linear.from_json(data["relevance"]),  # type: ignore[arg-type]
            stage=OneVsRest.from_json(data.get("stage") or {}),  # type: ignore[arg-type]
            meta=dict(data.get("meta") or {}),  # type: ignore[call-overload]
        )


@functools.cache
def shipped() -> Models:
    """The models fitted on the whole corpus and committed with the code."""
    return Models.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))


_override: list[Models] = []


def current() -> Models:
    return _override[-1] if _override else shipped()


@contextlib.contextmanager
def use(models: Models) -> Iterator[Models]:
    """Detect with ``models`` inside the block (evaluation and training only; not thread-safe)."""
    _override.append(models)
    try:
        yield models
    finally:
        _override.pop()
