"""The ``[redact]`` curation step: its table, the stream, the report, provenance."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from trajforge.curate.redact import RedactStep
from trajforge.curate.step import CURATION_STEPS, Reporting, StepContext
from trajforge.errors import ConfigError
from trajforge.pipeline.runner import StageRunner
from trajforge.schema import Task, Trajectory


def make(table: dict[str, Any]) -> RedactStep:
    step = CURATION_STEPS.get("redact")(table, StepContext(exclude=lambda *a, **k: None))
    assert isinstance(step, RedactStep)
    return step


@pytest.mark.parametrize(
    ("table", "message", "path"),
    [
        ({"pii": "yes"}, "expected boolean, got string", "[redact].pii"),
        ({"names": True}, "unknown field .names.", "[redact]"),
        ({"pii": False, "secrets": False}, "nothing to redact", "[redact]"),
    ],
)
def test_a_bad_table_is_a_located_error(table: dict[str, Any], message: str, path: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        make(table)
    assert caught.value.path == path


def test_the_step_redacts_the_stream_and_reports_counts(clean: list[Trajectory]) -> None:
    step = make({})
    trajectories = [msgspec.structs.replace(t) for t in clean]
    runner = StageRunner([step])
    out = list(runner.stream(trajectories))
    assert [t.id for t in out] == [t.id for t in clean]
    report = step.report()
    assert isinstance(step, Reporting)
    changed = [
        t
        for t, before in zip(out, clean, strict=True)
        if t.task != before.task or t.steps != before.steps
    ]
    assert report["trajectories"] == len(clean)
    assert report["changed"] == len(changed) > 0
    assert runner.report.stages[0].changed == len(changed)
    encoded = b"".join(msgspec.json.encode(t) for t in out)
    for kind, count in report["replaced"].items():
        assert encoded.count(f"<{kind.upper()}_".encode()) == count
    assert out[0].provenance.stages[-1].name == "redact"
    assert out[0].provenance.stages[-1].params == {
        "pii": True,
        "secrets": True,
        "keep_reserved": True,
    }


def test_secrets_only() -> None:
    step = make({"pii": False})
    trajectory = Trajectory(id="t", task=Task(instruction="maria@gmail.com ghp_" + "A1b2" * 9))
    [out] = step([trajectory])
    assert out.task.instruction == "maria@gmail.com <API_KEY_1>"
    assert step.report()["replaced"] == {"api_key": 1}
