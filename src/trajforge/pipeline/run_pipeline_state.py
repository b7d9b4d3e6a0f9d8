"""What a pipeline run keeps of each stage in ``NN-stage/stage.json``: the digest of the stage's
settings (and of every stage before it), whether it finished, how long it took, what it counted,
and, for a stage that works in parts, the parts it finished (so that a rerun resumes it)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.io.atomic import atomic_write
from trajforge.io.manifest import ShardInfo

STATE_NAME: Final = "stage.json"


class StageState(msgspec.Struct, kw_only=True):
    """One stage's record in its directory."""

    stage: str
    digest: str
    complete: bool = False
    seconds: float = 0.0
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    units: list[ShardInfo] = msgspec.field(default_factory=list)
    done: list[str] = msgspec.field(default_factory=list)

    def add(self, counts: dict[str, int]) -> None:
        """Add counts of a part to the stage's."""
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


def load_state(directory: Path) -> StageState | None:
    """The stage's record, or None when there is none (or it cannot be read: start over)."""
    try:
        return msgspec.json.decode((directory / STATE_NAME).read_bytes(), type=StageState)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def save_state(directory: Path, state: StageState) -> None:
    """Write the stage's record atomically."""
    with atomic_write(directory / STATE_NAME) as out:
        out.write(msgspec.json.format(msgspec.json.encode(state), indent=2) + b"\n")


def digest(name: str, settings: Any, before: str) -> str:
    """The digest of a stage: its name, its settings (JSON-like) and the digest before it."""
    text = msgspec.json.encode([name, msgspec.to_builtins(settings), before], order="sorted")
    return hashlib.sha256(text).hexdigest()[:16]
