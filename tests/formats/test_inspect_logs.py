"""inspect_ai logs, .json and .eval, read without inspect_ai: every sample a trajectory, tool
calls paired with their results, a single score as the source reward."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from trajforge.formats.inspect_logs import FORMAT, convert
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord
from trajforge.schema import Reply, ToolCall, ToolResult, Trajectory

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inspect_ai"
GUIDE = "2025-05-12T20-28-26-04-00_security-guide.json"
POPULARITY = "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval"
DEDUPLICATION = "log_message_deduplication.eval"


def _read(source: Path) -> tuple[list[Trajectory], list[BadRecord]]:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    return list(FORMAT.read(str(source), bad.append)), bad


@pytest.fixture(scope="module")
def logs() -> dict[str, list[Trajectory]]:
    trajectories, bad = _read(FIXTURES)
    assert bad == []
    found: dict[str, list[Trajectory]] = {}
    for trajectory in trajectories:
        location = trajectory.provenance.record_location or ""
        found.setdefault(Path(location.rsplit("[", 1)[0]).name, []).append(trajectory)
    return found


def test_every_sample_of_every_log_is_read(logs: dict[str, list[Trajectory]]) -> None:
    assert {name: len(ts) for name, ts in logs.items()} == {
        GUIDE: 3,
        POPULARITY: 10,
        DEDUPLICATION: 1,
    }
    samples = json.loads((FIXTURES / GUIDE).read_text())["samples"]
    for trajectory, sample in zip(logs[GUIDE], samples, strict=True):
        assert trajectory.id == f"inspect-{sample['uuid']}"
        assert trajectory.system_prompt == sample["messages"][0]["content"]
        assert trajectory.task.instruction == sample["input"][0]["content"]
        assert trajectory.steps[0].actions == [Reply(content=sample["messages"][2]["content"])]
        assert trajectory.task.parameters == {"target": sample["target"]}
        assert trajectory.task.domain == "security_guide"
        assert trajectory.outcome.source_reward == 1.0  # model_graded_fact said "C"
        assert trajectory.provenance.extra["samples[0]"]["scores"] == sample["scores"]
        assert trajectory.provenance.generator is not None
        assert trajectory.provenance.generator.model == "openai/gpt-4o-mini"
    # numeric order of the archive's members, and no score at all: no reward
    assert [t.id.split("-")[-2] for t in logs[POPULARITY]] == [str(n) for n in range(1, 11)]
    assert {t.outcome.source_reward for t in logs[POPULARITY]} == {None}


def test_tool_calls_and_results_pair_up(logs: dict[str, list[Trajectory]]) -> None:
    (trajectory,) = logs[DEDUPLICATION]
    assert trajectory.outcome.source_reward == 0.0
    assert len(trajectory.steps) == 6
    first = trajectory.steps[0]
    assert first.actions[1] == ToolCall(id="hardcoded_0", name="bash", arguments={"cmd": "ls"})
    result = first.observations[0]
    assert isinstance(result, ToolResult)
    assert (result.call_id, result.name, result.status) == ("hardcoded_0", "bash", "ok")
    assert trajectory.steps[-1].actions == [Reply(content="done")]
    kept = trajectory.provenance.extra
    assert kept["samples[0].messages[1].tool_calls[0]"]["type"] == "function"
    assert "events" not in kept["samples[0]"]
    assert "message_pool" not in kept["samples[0]"]
    assert kept["$"]["eval"]["task"] == "inspect_test_utils/guess_number"


def test_the_log_keys_are_kept_with_its_first_sample_only(
    logs: dict[str, list[Trajectory]],
) -> None:
    first, *others = logs[GUIDE]
    assert set(first.provenance.extra["$"]) == {
        "version", "status", "eval", "plan", "results", "stats", "reductions"
    }  # fmt: skip
    assert all("$" not in t.provenance.extra for t in others)


def _sample(messages: list[dict[str, Any]], scores: dict[str, Any]) -> dict[str, Any]:
    return {"eval": {"task": "t", "run_id": "r"}, "samples": [
        {"id": 1, "epoch": 1, "messages": messages, "scores": scores, "attachments": {"h": "big"}}
    ]}  # fmt: skip


@pytest.mark.parametrize(
    ("scores", "reward"),
    [
        ({"s": {"value": "C"}}, 1.0),
        ({"s": {"value": "P"}}, 0.5),
        ({"s": {"value": True}}, 1.0),
        ({"s": {"value": 0.25}}, 0.25),
        ({"s": {"value": "maybe"}}, None),
        ({"s": {"value": {"a": 1}}}, None),
        ({"a": {"value": 1}, "b": {"value": 0}}, None),
    ],
)
def test_a_single_score_is_the_reward(scores: dict[str, Any], reward: float | None) -> None:
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    (trajectory,) = convert(SourceRecord(_sample(messages, scores), "log.json"))
    assert trajectory.outcome.source_reward == reward


def test_errors_attachments_and_reasoning() -> None:
    messages = [
        {"role": "user", "content": "attachment://h"},
        {
            "role": "assistant",
            "content": [{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "go"}],
            "tool_calls": [{"id": "c", "function": "run", "arguments": {}, "type": "function"}],
        },
        {
            "role": "tool",
            "tool_call_id": "c",
            "function": "run",
            "content": "nope",
            "error": {"type": "timeout", "message": "took too long"},
        },
    ]
    (trajectory,) = convert(SourceRecord(_sample(messages, {}), "log.json"))
    assert trajectory.task.instruction == "big"
    step = trajectory.steps[0]
    assert (step.reasoning, step.actions[0]) == ("hmm", Reply(content="go"))
    assert step.observations == [
        ToolResult(call_id="c", name="run", content="nope", status="error", error_kind="timeout")
    ]
    kept = trajectory.provenance.extra
    assert kept["samples[0].messages[2]"]["error"]["message"] == "took too long"
    assert kept["samples[0].messages[1]"]["content"][0] == {"type": "reasoning", "reasoning": "hmm"}


def test_broken_archives_and_samples_are_set_aside(tmp_path: Path) -> None:
    (tmp_path / "broken.eval").write_bytes(b"not a zip")
    log = tmp_path / "partly.eval"
    shutil.copy(FIXTURES / POPULARITY, log)
    with zipfile.ZipFile(log, "a") as archive:
        archive.writestr("samples/11_epoch_1.json", "{not json")
    trajectories, bad = _read(tmp_path)
    assert len(trajectories) == 10
    assert sorted((Path(b.file).name, b.error.split(" (")[0]) for b in bad) == [
        ("broken.eval", "not a readable .eval log"),
        ("partly.eval", "samples/11_epoch_1.json is not valid JSON"),
    ]
