"""The stage runner: provenance of every stage, label clearing, counts, quarantine, workers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec
import pytest

from tests.verify.episodes import episode
from trajforge.errors import ConfigError
from trajforge.grade import RuleGrader
from trajforge.grade.aggregate import ScoreStage
from trajforge.io import RawLine, read_trajectories
from trajforge.io.quarantine import BadRecord
from trajforge.pipeline.job import run_job
from trajforge.pipeline.provenance import params_digest
from trajforge.pipeline.runner import StageRunner
from trajforge.pipeline.stage import TrajectoryStage
from trajforge.schema import Label, LabelSource, Trajectory, encode
from trajforge.verify import LabelSummary, VerifyStage

SOURCE = LabelSource(kind="rule", id="mark")


class Mark(TrajectoryStage):
    """Labels each trajectory once with ``mark``; fails on ids ending in ``fail``, sets aside
    ids ending in ``drop``."""

    name = "mark"
    version = "2"

    @property
    def params(self) -> dict[str, int]:
        return {"level": 3}

    def owns(self, label: Label) -> bool:
        return label.source == SOURCE

    def apply(self, trajectory: Trajectory) -> Trajectory | None:
        if trajectory.id.endswith("fail"):
            raise RuntimeError("cannot mark this one")
        if trajectory.id.endswith("drop"):
            return None
        trajectory.labels.append(Label(name="mark", source=SOURCE, value=1.0))
        return trajectory


class Reverse:
    """A stream stage: yields its input backwards, leaving out the first."""

    name = "reverse"
    version = "1"

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        return iter(list(trajectories)[:0:-1])


def trajectories(*ids: str) -> list[Trajectory]:
    base = episode("support")
    return [msgspec.structs.replace(base, id=i, labels=[]) for i in ids]


def test_every_stage_is_recorded_with_version_params_and_digest() -> None:
    runner = StageRunner([VerifyStage(), RuleGrader("redundant_call"), Mark(), ScoreStage()])
    (out,) = runner.stream(trajectories("a"))
    names = [(s.name, s.version) for s in out.provenance.stages]
    assert names[-4:] == [("verify", "1"), ("rules", "1"), ("mark", "2"), ("score", "1")]
    mark = out.provenance.stages[-2]
    assert mark.params == {"level": 3}
    assert mark.digest == params_digest({"level": 3})


def test_running_again_replaces_a_stages_labels_and_record() -> None:
    runner = StageRunner([Mark(), ScoreStage()])
    once = list(runner.stream(trajectories("a", "b")))
    twice = list(StageRunner([Mark(), ScoreStage()]).stream(once))
    assert [encode(t) for t in twice] == [encode(t) for t in once]
    assert [lb.name for lb in twice[0].labels] == ["mark", "score"]


def test_counts_and_quarantine_of_failing_and_set_aside_records() -> None:
    bad: list[BadRecord] = []
    runner = StageRunner([Mark(), Reverse()], quarantine=bad.append)
    out = list(runner.stream(trajectories("a", "b-fail", "c-drop", "d")))
    assert [t.id for t in out] == ["d"]  # a and d came through Mark; Reverse drops a
    mark, reverse = runner.report.stages
    assert (mark.seen, mark.kept, mark.changed, mark.failed, mark.set_aside) == (4, 2, 2, 1, 1)
    assert (reverse.seen, reverse.kept, reverse.set_aside) == (2, 1, 1)
    assert [b.file for b in bad] == ["trajectory b-fail", "trajectory c-drop"]
    assert "RuntimeError: cannot mark this one" in bad[0].error
    assert "set aside by stage mark" in bad[1].error
    assert msgspec.json.decode(bad[0].raw)["id"] == "b-fail"  # nothing is lost


def test_workers_give_the_same_bytes_counts_and_observers_as_one_process() -> None:
    lines = [
        RawLine("in.jsonl", i + 1, encode(t))
        for i, t in enumerate(trajectories(*[f"t{i}" for i in range(40)], "x-fail"))
    ]
    lines.insert(3, RawLine("in.jsonl", 99, b'{"id": 5}'))

    def run(workers: int) -> tuple[list[bytes], list[object], LabelSummary, list[str]]:
        bad: list[BadRecord] = []
        summary = LabelSummary(kinds=None)
        runner = StageRunner(
            [VerifyStage(), Mark(), ScoreStage()],
            quarantine=bad.append,
            workers=workers,
            observers=[summary],
        )
        out = [x if isinstance(x, bytes) else encode(x) for x in runner.stream_raw(lines)]
        return out, runner.report.stages, summary, [b.describe() for b in bad]

    one, many = run(1), run(2)
    assert one[0] == many[0]
    assert len(one[0]) == 40
    assert one[1] == many[1]
    assert one[2].counts == many[2].counts
    assert one[2].trajectories == many[2].trajectories
    assert one[3] == many[3]
    assert one[3][0] == "line 99 of in.jsonl: id: expected string, got integer"


def test_stages_after_a_stream_stage_run_here_and_still_quarantine() -> None:
    lines = [RawLine("in.jsonl", i + 1, encode(t)) for i, t in enumerate(trajectories(
        "a", "b", "c-fail", "d"))]  # fmt: skip
    bad: list[BadRecord] = []
    summary = LabelSummary(kinds=None)
    runner = StageRunner(
        [ScoreStage(), Reverse(), Mark()], quarantine=bad.append, workers=2, observers=[summary]
    )
    out = list(runner.stream_raw(lines))
    assert all(isinstance(t, Trajectory) for t in out)  # decoded for the stages after Reverse
    assert [t.id for t in out if isinstance(t, Trajectory)] == ["d", "b"]  # c failed in Mark
    assert [b.file for b in bad] == ["trajectory c-fail"]
    score, reverse, mark = runner.report.stages
    assert (score.seen, reverse.seen, reverse.kept, mark.seen, mark.failed) == (4, 4, 3, 3, 1)
    assert sum(summary.trajectories.values()) == 2


def test_a_job_writes_output_and_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(encode(t) + b"\n" for t in trajectories("a", "b-fail")) + b"{\n")
    job = run_job(str(source), str(tmp_path / "out.jsonl"), [Mark()], workers=2)
    assert job.written.count == 1
    assert job.quarantined == 2
    (out,) = read_trajectories(tmp_path / "out.jsonl")
    assert out.provenance.stages[-1].name == "mark"


def test_a_non_stage_and_a_stage_named_twice_are_refused() -> None:
    with pytest.raises(TypeError, match="is not a stage"):
        StageRunner([object()])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="rules appears more than once"):
        StageRunner([RuleGrader("looping"), Mark(), RuleGrader("invalid_call")])


def test_a_stage_that_finds_nothing_has_changed_nothing() -> None:
    runner = StageRunner([RuleGrader("looping"), Mark()])
    list(runner.stream(trajectories("a", "b")))
    rules, mark = runner.report.stages
    assert (rules.kept, rules.changed) == (2, 0)  # an expert episode does not loop
    assert (mark.kept, mark.changed) == (2, 2)


class Sleepy(TrajectoryStage):
    """A record stage that takes 20 ms a trajectory."""

    name = "sleepy"
    version = "1"

    def apply(self, trajectory: Trajectory) -> Trajectory | None:
        time.sleep(0.02)
        return trajectory


class SleepyStream:
    """A stream stage that takes 5 ms a trajectory."""

    name = "sleepy-stream"
    version = "1"

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        for trajectory in trajectories:
            time.sleep(0.005)
            yield trajectory


@pytest.mark.parametrize("workers", [1, 2])
def test_each_stage_is_timed_without_the_stages_before_it(workers: int) -> None:
    lines = [RawLine("in.jsonl", i + 1, encode(t)) for i, t in enumerate(trajectories(
        *[f"t{i}" for i in range(6)]))]  # fmt: skip
    runner = StageRunner([Sleepy(), SleepyStream(), ScoreStage()], workers=workers)
    assert len(list(runner.stream_raw(lines))) == 6
    sleepy, stream, score = runner.report.stages
    assert sleepy.seconds >= 6 * 0.02  # in the workers too: their times come back summed
    assert 6 * 0.005 <= stream.seconds < 6 * 0.02  # not the 0.12 s its input took to come
    assert 0 < score.seconds < stream.seconds
