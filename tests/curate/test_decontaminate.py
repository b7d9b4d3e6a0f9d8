"""The ``[decontaminate]`` curation step: planted overlaps with an evaluation set are found,
near misses are kept, every hit is reported with its match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from trajforge.curate.decontaminate import DecontaminateStep, ngrams, words
from trajforge.curate.step import CURATION_STEPS, StepContext
from trajforge.errors import ConfigError
from trajforge.formats.registry import get_writer
from trajforge.io import write_trajectories
from trajforge.schema import Trajectory


class Excluded:
    """A StepContext's ``exclude``, remembering what was removed and why."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, trajectory: Trajectory, reason: str, **detail: Any) -> None:
        self.calls.append((trajectory.id, reason, detail))


def make(table: dict[str, Any], exclude: Excluded | None = None) -> DecontaminateStep:
    context = StepContext(exclude=exclude or Excluded())
    step = CURATION_STEPS.get("decontaminate")(table, context)
    assert isinstance(step, DecontaminateStep)
    return step


def renamed(trajectory: Trajectory, new_id: str, **task: Any) -> Trajectory:
    """A copy of ``trajectory`` under another id, its task changed as given."""
    copy = msgspec.convert(msgspec.to_builtins(trajectory), Trajectory)
    copy.id = new_id
    copy.task = msgspec.structs.replace(copy.task, **task)
    return copy


@pytest.fixture(scope="module")
def scheduling(clean: list[Trajectory]) -> list[Trajectory]:
    return [t for t in clean if t.task.environment == "scheduling"]


@pytest.fixture(scope="module")
def eval_file(scheduling: list[Trajectory], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark: the first ten scheduling episodes, as OpenAI chat records (imported, they
    have neither environment nor seed: only the instruction can match)."""
    path = tmp_path_factory.mktemp("eval") / "bench.jsonl"
    get_writer("openai")(str(path), scheduling[:10])
    return path


@pytest.fixture(scope="module")
def training(scheduling: list[Trajectory]) -> list[Trajectory]:
    """The other scheduling episodes, and planted overlaps and near misses of the benchmark's."""
    bench = scheduling[:10]
    one, two, three = (b.task.instruction or "" for b in bench[:3])
    return [
        *scheduling[10:],
        renamed(bench[0], "copy", instruction=one.upper().replace(".", " . ")),  # same words
        renamed(bench[1], "extended", instruction=f"Urgent!! {two} Thanks a lot in advance."),
        renamed(bench[2], "halved", instruction=" ".join(words(three)[: len(words(three)) // 2])),
        renamed(bench[5], "partial", instruction=_partly(bench[5].task.instruction or "")),
        renamed(bench[3], "unrelated", instruction="Please order a blue lamp for my desk."),
        renamed(bench[4], "template", instruction=_other_entities(bench[4].task.instruction or "")),
    ]  # fmt: skip


def _partly(instruction: str) -> str:
    """The first two thirds of the instruction, then other words."""
    kept = instruction.split()[: len(instruction.split()) * 2 // 3]
    return " ".join(
        [*kept, "and", "then", "order", "lunch", "for", "everyone", "from", "the", "deli"]
    )


def _other_entities(instruction: str) -> str:
    """The same template with other people, times and titles: one word in four changed."""
    return " ".join(w if i % 4 else f"x{i}" for i, w in enumerate(instruction.split()))


def test_ngrams_of_a_text_shorter_than_n_are_the_text() -> None:
    assert words("Book Room-3, at 10:00!") == ["book", "room", "3", "at", "10", "00"]
    assert ngrams(["a", "b"], 3) == {("a", "b")}
    assert ngrams(["a", "b", "c", "d"], 3) == {("a", "b", "c"), ("b", "c", "d")}


def test_planted_overlaps_are_dropped_and_near_misses_kept(
    eval_file: Path, training: list[Trajectory]
) -> None:
    excluded = Excluded()
    step = make({"eval": str(eval_file)}, excluded)
    kept = [t.id for t in step(training)]
    assert [call[0] for call in excluded.calls] == ["copy", "extended", "halved"]
    assert {"unrelated", "template", "partial"} <= set(kept)
    assert len(kept) == len(training) - 3
    report = step.report()
    assert (report["eval_tasks"], report["contaminated"]) == (10, 3)
    copy, extended, halved = report["hits"]
    assert copy["match"] == "instruction"
    assert copy["overlap"] == 1.0
    assert copy["eval_location"] == f"{eval_file}:1"
    assert extended["match"] == "ngrams"
    assert extended["eval_location"] == f"{eval_file}:2"
    assert extended["overlap"] == 1.0
    assert len(extended["ngrams"]) == 5
    assert all(len(gram.split()) == 8 for gram in extended["ngrams"])
    assert halved["match"] == "ngrams"
    assert halved["overlap"] == 1.0
    assert excluded.calls[1][1] == "contaminated"
    assert excluded.calls[1][2] == {k: v for k, v in extended.items() if k != "id"}


def test_a_lower_threshold_finds_the_partial_overlap(
    eval_file: Path, training: list[Trajectory]
) -> None:
    step = make({"eval": str(eval_file), "threshold": 0.5, "n": 5})
    list(step(training))
    hits = {hit["id"]: hit for hit in step.report()["hits"]}
    assert {"copy", "extended", "halved", "partial"} <= set(hits)
    assert 0.5 <= hits["partial"]["overlap"] < 0.9
    assert hits["partial"]["eval_location"].endswith(":6")
    assert "unrelated" not in hits


def test_a_same_environment_and_seed_is_a_hit(scheduling: list[Trajectory], tmp_path: Path) -> None:
    path = tmp_path / "bench.jsonl"
    write_trajectories(path, scheduling[:3])
    step = make({"eval": str(path)})
    reseeded = renamed(scheduling[5], "reseeded", seed=scheduling[2].task.seed)
    assert [t.id for t in step([scheduling[5], reseeded])] == [scheduling[5].id]
    assert step.report()["hits"][0]["match"] == "seed"
    assert step.report()["hits"][0]["eval_id"] == scheduling[2].id


def test_flagging_keeps_the_trajectory_with_a_label(
    eval_file: Path, training: list[Trajectory]
) -> None:
    excluded = Excluded()
    step = make({"eval": str(eval_file), "action": "flag"}, excluded)
    out = list(step(training))
    assert len(out) == len(training)
    assert excluded.calls == []
    flagged = {t.id: t.labels[-1] for t in out if t.labels and t.labels[-1].name == "contaminated"}
    assert set(flagged) == {"copy", "extended", "halved"}
    assert flagged["copy"].source.id == "decontaminate"
    assert step.owns(flagged["copy"])
    assert flagged["copy"].details["eval_location"] == f"{eval_file}:1"


@pytest.mark.parametrize(
    ("table", "message", "path"),
    [
        ({}, "missing required field .eval.", "[decontaminate]"),
        ({"eval": "x.jsonl", "n": 0}, "Expected `int` >= 1|expected.*>= 1", "[decontaminate].n"),
        (
            {"eval": "x.jsonl", "action": "delete"},
            "invalid enum value 'delete'",
            "[decontaminate].action",
        ),
        ({"eval": "/no/such/bench.jsonl"}, "no such file or directory", "[decontaminate].eval"),
        ({"eval": "x.jsonl", "format": "nope"}, "unknown format 'nope'", "[decontaminate].format"),
    ],
)
def test_a_bad_table_is_a_located_error(table: dict[str, Any], message: str, path: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        make(table)
    assert caught.value.path == path


def test_an_empty_evaluation_set_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(ConfigError, match="the evaluation set has no records"):
        make({"eval": str(path), "format": "trajforge"})
