"""Redaction measured: recall per kind on planted values, false positives on clean data, and
planted canaries nowhere in the output, nor in its exports (``bench/redact.py`` prints the same
measurement on a larger set)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from trajforge.curate.finding import KINDS
from trajforge.curate.redact import make_redact
from trajforge.curate.redaction import Redactor
from trajforge.curate.step import StepContext
from trajforge.formats.export import export_dataset
from trajforge.formats.registry import get_writer
from trajforge.io import read_trajectories, write_trajectories
from trajforge.pipeline.job import run_job
from trajforge.schema import ToolCall, ToolResult, Trajectory
from trajforge.testing.planted import Canary, by_kind, canary, foreign_values, planted_set, recall

RECALL = 0.97  # bench/redact.py measures >= 0.98 on 1,000 values of every kind
FALSE_POSITIVES = 0.01  # of records; bench/redact.py measures <= 0.5%


def test_recall_of_every_kind(clean: list[Trajectory]) -> None:
    samples = planted_set(clean, 120, seed=3)
    assert len(samples) >= 1000
    counts = by_kind(recall(Redactor(KINDS).find, samples))
    assert set(counts) == set(KINDS)
    low = {kind: found / total for kind, (found, total) in counts.items() if found / total < RECALL}
    assert not low


def test_false_positives_on_clean_generated_data(clean: list[Trajectory]) -> None:
    redactor = Redactor(KINDS)
    flagged = [t.id for t in clean if foreign_values(t, redactor.trajectory(t)[1])]
    assert len(flagged) <= FALSE_POSITIVES * len(clean), flagged


def with_canary(trajectory: Trajectory, item: Canary) -> Trajectory | None:
    """``trajectory`` with ``item`` in a tool call's arguments (nested, and in their raw text)
    and echoed in the tool result of a later step; None without such a pair of steps."""
    record: dict[str, Any] = msgspec.to_builtins(trajectory)
    steps = record["steps"]
    for k, step in enumerate(steps[:-1]):
        calls = [a for a in step["actions"] if a["kind"] == "tool_call"]
        later = [
            o
            for s in steps[k + 1 :]
            for o in s.get("observations", [])
            if o["kind"] == "tool_result"
        ]
        if calls and later:
            calls[0]["arguments"] = {
                **calls[0].get("arguments", {}),
                "note": {"about": {item.name or "value": item.value}},
            }
            calls[0]["raw_arguments"] = json.dumps(calls[0]["arguments"], indent=2)
            later[-1]["content"] += f"\n{item.name or 'recorded'}: {item.value}"
            return msgspec.convert(record, Trajectory)
    return None


@pytest.fixture(scope="module")
def canaries(clean: list[Trajectory]) -> tuple[list[Trajectory], list[Canary]]:
    """Clean trajectories with a canary of every kind (of every API-key provider) planted."""
    rng = random.Random(9)
    planted, items = [], []
    for i, trajectory in enumerate(clean):
        item = canary(KINDS[i % len(KINDS)], rng)
        changed = with_canary(trajectory, item)
        if changed is not None:
            planted.append(changed)
            items.append(item)
    return planted, items


def leaked(data: bytes, items: list[Canary]) -> list[str]:
    """The canaries (or, for a private key, any line of its base64) found in ``data``, as
    written or JSON-escaped."""
    out = []
    for item in items:
        parts = [item.value] + (item.value.splitlines()[1:-1] if item.kind == "private_key" else [])
        for part in parts:
            if part.encode() in data or json.dumps(part)[1:-1].encode() in data:
                out.append(item.label)
    return out


def test_planted_canaries_never_appear_in_the_output_nor_its_exports(
    canaries: tuple[list[Trajectory], list[Canary]], tmp_path: Path
) -> None:
    planted, items = canaries
    assert {item.kind for item in items} == set(KINDS)
    source = tmp_path / "planted.jsonl"
    write_trajectories(source, planted)
    assert leaked(source.read_bytes(), items)  # the check sees them before redaction
    out = tmp_path / "out"
    out.mkdir()
    redacted = out / "redacted.jsonl"
    step = make_redact({}, StepContext(exclude=lambda *a, **k: None))
    run_job(str(source), str(redacted), [step])
    get_writer("openai")(str(out / "openai.jsonl"), read_trajectories(str(redacted)))
    export_dataset("openai-ft", str(redacted), str(out / "ft.jsonl"))
    files = sorted(p for p in out.iterdir())
    assert len(files) >= 4  # redacted, openai, openai-ft and its card
    assert leaked(b"".join(p.read_bytes() for p in files), items) == []


def test_placeholders_agree_between_arguments_and_observations(
    canaries: tuple[list[Trajectory], list[Canary]],
) -> None:
    redactor = Redactor(KINDS)
    for trajectory, item in zip(*canaries, strict=True):
        redacted, _ = redactor.trajectory(trajectory)
        call = next(
            a
            for s in redacted.steps
            for a in s.actions
            if isinstance(a, ToolCall) and "note" in a.arguments
        )
        name = item.name or "value"
        placeholder = call.arguments["note"]["about"][name]
        assert re.fullmatch(rf"<{item.kind.upper()}_\d+>", placeholder), placeholder
        assert json.loads(call.raw_arguments or "")["note"]["about"][name] == placeholder
        echoes = [
            o.content for s in redacted.steps for o in s.observations if isinstance(o, ToolResult)
        ]
        assert any(f"{item.name or 'recorded'}: {placeholder}" in text for text in echoes)
