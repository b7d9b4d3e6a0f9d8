"""What makes two trajectories the same, exactly or nearly: the keys deduplication compares.

- :func:`exact_key`: a digest of the task and the actions, step by step, in a canonical
  encoding (object keys sorted). Left out: ids, call ids, the task's seed, and every field that
  is not the task or an action (observations, timestamps, latencies, usage, labels, outcome,
  provenance). Two episodes that were asked the same thing and did the same thing are one
  training example, whatever run, seed or clock made them.
- :func:`near_features`: the set a MinHash compares for near-duplicates: word shingles of the
  instruction, and shingles of the action signature (each tool call's name and argument keys in
  order; a text action's kind), so a rephrased request solved the same way is near, while the same
  request solved another way, or another request solved the same way, is not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import msgspec

from trajforge.schema import Action, ToolCall, Trajectory

_CANONICAL = msgspec.json.Encoder(order="sorted")
_WORD = re.compile(r"\w+")

#: The one feature of a trajectory with neither an instruction nor an action.
EMPTY = "@"


def exact_key(trajectory: Trajectory) -> bytes:
    """A 16-byte digest of the task (less its seed) and the actions, step by step (less call
    ids)."""
    task = msgspec.structs.replace(trajectory.task, seed=None)
    actions = [[_without_id(action) for action in step.actions] for step in trajectory.steps]
    return hashlib.blake2b(_CANONICAL.encode((task, actions)), digest_size=16).digest()


def _without_id(action: Action) -> Action:
    if isinstance(action, ToolCall) and action.id is not None:
        return msgspec.structs.replace(action, id=None)
    return action


def near_features(trajectory: Trajectory, shingle: int) -> list[str]:
    """Word ``shingle``-grams of the instruction (case and punctuation ignored) and
    ``shingle``-grams of the action signature, told apart by an ``@`` before the latter."""
    words = _WORD.findall((trajectory.task.instruction or "").casefold())
    signature = [_signature(a) for step in trajectory.steps for a in step.actions]
    features = _shingles(words, shingle, "") + _shingles(signature, shingle, "@")
    return features or [EMPTY]


def _signature(action: Action) -> str:
    if isinstance(action, ToolCall):
        return f"{action.name}({','.join(action.arguments)})"
    return str(type(action).__struct_config__.tag)


def _shingles(tokens: Sequence[str], size: int, prefix: str) -> list[str]:
    """Every run of ``size`` consecutive tokens (the whole sequence when it is shorter)."""
    if not tokens:
        return []
    last = max(1, len(tokens) - size + 1)
    return [prefix + " ".join(tokens[i : i + size]) for i in range(last)]
