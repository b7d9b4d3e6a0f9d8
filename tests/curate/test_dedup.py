"""The [dedup] step over generated runs: planted exact and near duplicates found, distinct records
kept, each cluster's best kept, the same output every time."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from trajforge.curate.dedup import DedupStep, make_dedup
from trajforge.curate.step import CURATION_STEPS, Reporting, StepContext
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories, write_trajectories
from trajforge.pipeline.job import run_job
from trajforge.pipeline.stage import Stage
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Label, LabelSource, ToolCall, Trajectory, encode
from trajforge.testing.copies import rerecorded

JUDGE = LabelSource(kind="judge", id="test")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Trajectory]:
    """``trajforge generate`` over support and itops, mistakes 0.2: 48 scored episodes."""
    out = tmp_path_factory.mktemp("generated")
    mix = [{"env": env, "tasks": 24, "mistakes": 0.2} for env in ("support", "itops")]
    asyncio.run(Runner(spec_from_flags({"mix": mix, "format": "jsonl"}), out).run())
    return list(read_trajectories(str(out), None))


@pytest.fixture(scope="module")
def distinct(generated: list[Trajectory]) -> list[Trajectory]:
    """The generated episodes less their own near duplicates (template-made tasks have some):
    every pair of these is apart."""
    kept, _, _ = dedup(generated)
    return kept


@pytest.fixture(scope="module")
def long_one(distinct: list[Trajectory]) -> Trajectory:
    """A distinct episode with a long instruction and several tool calls."""
    return next(t for t in distinct if len(words(t)) >= 25 and len(calls(t)) >= 3)


Excluded = list[tuple[str, str, dict[str, Any]]]


def dedup(
    stream: list[Trajectory], table: dict[str, Any] | None = None
) -> tuple[list[Trajectory], Excluded, dict[str, Any]]:
    """The step made from ``table`` run over ``stream``: what it kept, excluded and reported."""
    excluded: Excluded = []
    context = StepContext(
        exclude=lambda t, reason, **detail: excluded.append((t.id, reason, detail))
    )
    step = make_dedup(table or {}, context)
    kept = list(step(stream))
    return kept, excluded, step.report()


def words(trajectory: Trajectory) -> list[str]:
    return (trajectory.task.instruction or "").split()


def calls(trajectory: Trajectory) -> list[ToolCall]:
    return [a for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]


def ids(trajectories: list[Trajectory]) -> list[str]:
    return [t.id for t in trajectories]


def rerun(trajectory: Trajectory, new_id: str, score: float | None = None) -> Trajectory:
    """The same episode recorded again (and another score when given)."""
    copy = rerecorded(trajectory, new_id)
    if score is None:
        return copy
    return msgspec.structs.replace(copy, outcome=msgspec.structs.replace(copy.outcome, score=score))


def rephrased(
    trajectory: Trajectory, new_id: str, score: float | None = None, said: str = "Thanks!"
) -> Trajectory:
    """A near duplicate: a word ``said`` after the instruction, other argument values (same
    keys)."""
    copy = rerun(trajectory, new_id, score)
    steps = []
    for step in copy.steps:
        actions = [
            msgspec.structs.replace(a, arguments={k: f"{v}x" for k, v in a.arguments.items()})
            if isinstance(a, ToolCall)
            else a
            for a in step.actions
        ]
        steps.append(msgspec.structs.replace(step, actions=actions))
    task = msgspec.structs.replace(copy.task, instruction=f"{copy.task.instruction} {said}")
    return msgspec.structs.replace(copy, task=task, steps=steps)


def test_planted_exact_duplicates_are_removed_for_their_original(
    distinct: list[Trajectory],
) -> None:
    copies = [rerun(t, f"copy-{t.id}") for t in distinct[::4]]
    kept, excluded, report = dedup([*distinct, *copies], {"near": False})
    assert ids(kept) == ids(distinct)
    assert excluded == [
        (f"copy-{t.id}", "exact duplicate", {"representative": t.id}) for t in distinct[::4]
    ]
    assert report["exact"]["removed"] == len(copies)
    assert {c["representative"]: c["removed"] for c in report["exact"]["clusters"]} == {
        t.id: [f"copy-{t.id}"] for t in distinct[::4]
    }
    assert "near" not in report


def test_planted_near_duplicates_are_removed_for_their_original(distinct: list[Trajectory]) -> None:
    originals = [t for t in distinct if len(words(t)) >= 15 and calls(t)][:8]
    copies = [rephrased(t, f"near-{t.id}", score=0.0) for t in originals]
    kept, excluded, report = dedup([*distinct, *copies])
    assert ids(kept) == ids(distinct)
    assert [(i, reason, d["representative"]) for i, reason, d in excluded] == [
        (f"near-{t.id}", "near duplicate", t.id) for t in originals
    ]
    assert all(d["similarity"] >= 0.8 for _, _, d in excluded)
    assert report["near"]["removed"] == len(copies)
    assert report["exact"]["removed"] == 0
    assert [c["representative"] for c in report["near"]["clusters"]] == ids(originals)


def test_exact_only_leaves_near_duplicates(
    distinct: list[Trajectory], long_one: Trajectory
) -> None:
    kept, excluded, _ = dedup([long_one, rephrased(long_one, "near")], {"near": False})
    assert ids(kept) == [long_one.id, "near"]
    assert excluded == []


def test_similar_but_distinct_episodes_are_kept(
    distinct: list[Trajectory], long_one: Trajectory
) -> None:
    other = next(
        t
        for t in distinct
        if t.task.environment != long_one.task.environment and len(calls(t)) >= 3
    )
    solved_otherwise = msgspec.structs.replace(
        long_one, id="same-task-other-actions", steps=other.steps
    )
    asked_otherwise = msgspec.structs.replace(
        other, id="other-task-same-actions", steps=long_one.steps
    )
    stream = [*distinct, solved_otherwise, asked_otherwise]
    kept, excluded, report = dedup(stream)
    assert ids(kept) == ids(stream)
    assert excluded == []
    assert report["removed"] == 0


def test_the_best_scored_member_is_kept_wherever_it_comes(long_one: Trajectory) -> None:
    origin = rerun(long_one, "origin", score=0.5)
    worse = rephrased(long_one, "worse", score=0.2, said="Please.")
    best = rephrased(long_one, "best", score=0.9)
    same = rerun(long_one, "same", score=0.9)  # origin's episode again, as good as best, later
    kept, excluded, report = dedup([origin, worse, best, same])
    assert ids(kept) == ["best"]
    assert {i: d["representative"] for i, _, d in excluded} == {
        "origin": "best",
        "worse": "best",
        "same": "best",
    }
    assert report == {
        "seen": 4,
        "kept": 1,
        "removed": 3,
        "exact": {"removed": 0, "clusters": []},
        "near": {
            "removed": 3,
            "threshold": 0.8,
            "clusters": [
                {
                    "representative": "best",
                    "removed": [{"id": i, "similarity": d["similarity"]} for i, _, d in excluded],
                }
            ],
        },
    }


def test_labels_break_a_tie_in_score_then_the_first_seen_wins(long_one: Trajectory) -> None:
    plain = rerun(long_one, "plain", score=0.7)
    praised = rerun(long_one, "praised", score=0.7)
    praised = msgspec.structs.replace(
        praised, labels=[*praised.labels, Label(name="quality", source=JUDGE, value=1.0)]
    )
    assert ids(dedup([plain, praised])[0]) == ["praised"]
    assert ids(dedup([praised, plain])[0]) == ["praised"]
    twin = rerun(long_one, "twin", score=0.7)
    assert ids(dedup([plain, twin])[0]) == ["plain"]
    assert ids(dedup([twin, plain])[0]) == ["twin"]


def test_a_missing_score_ranks_below_any_score(long_one: Trajectory) -> None:
    unscored = rerun(long_one, "unscored")
    unscored.outcome = msgspec.structs.replace(unscored.outcome, score=None)
    scored = rerun(long_one, "scored", score=0.0)
    assert ids(dedup([unscored, scored])[0]) == ["scored"]


def test_output_is_the_same_every_time(
    generated: list[Trajectory], distinct: list[Trajectory]
) -> None:
    stream = [*generated, *(rephrased(t, f"near-{t.id}", 0.0) for t in distinct[::3])]
    stream += [rerun(t, f"copy-{t.id}") for t in generated[::5]]
    first = dedup(stream)
    second = dedup(stream)
    assert [encode(t) for t in first[0]] == [encode(t) for t in second[0]]
    assert first[1:] == second[1:]
    assert first[2]["removed"] >= len(distinct[::3]) + len(generated[::5])


def test_runs_as_a_stage_of_a_job(
    tmp_path: Path, distinct: list[Trajectory], long_one: Trajectory
) -> None:
    source = tmp_path / "in.jsonl"
    write_trajectories(
        source, [*distinct, rerun(long_one, "copy"), rephrased(long_one, "near", 0.0)]
    )
    excluded: Excluded = []
    step = make_dedup(
        {}, StepContext(exclude=lambda t, reason, **d: excluded.append((t.id, reason, d)))
    )
    job = run_job(str(source), str(tmp_path / "out.jsonl"), [step])
    out = list(read_trajectories(str(tmp_path / "out.jsonl"), None))
    assert ids(out) == ids(distinct)
    assert [t.provenance.stages[-1].name for t in out] == ["dedup"] * len(out)
    assert out[0].provenance.stages[-1].params == {
        "exact": True,
        "near": True,
        "threshold": 0.8,
        "num_perm": 128,
        "shingle": 3,
    }
    assert [(i, reason) for i, reason, _ in excluded] == [
        ("copy", "exact duplicate"),
        ("near", "near duplicate"),
    ]
    assert (job.report.stages[0].seen, job.report.stages[0].kept) == (
        len(distinct) + 2,
        len(distinct),
    )


def test_registered_as_the_dedup_table() -> None:
    step = CURATION_STEPS.get("dedup")({"threshold": 0.9}, StepContext(exclude=print))
    assert isinstance(step, DedupStep)
    assert isinstance(step, Stage)
    assert isinstance(step, Reporting)
    assert step.settings.threshold == 0.9


@pytest.mark.parametrize("seed", [-1, 2**70])
def test_any_run_seed_will_do(seed: int, long_one: Trajectory) -> None:
    step = make_dedup({}, StepContext(exclude=lambda *_, **__: None, seed=seed))
    assert ids(list(step([long_one, rephrased(long_one, "near", 0.0)]))) == [long_one.id]


@pytest.mark.parametrize(
    ("table", "where", "says"),
    [
        ({"threshold": 1.5}, "[dedup].threshold", "<= 1.0"),
        ({"threshold": 0}, "[dedup].threshold", "> 0.0"),
        ({"num_perm": 8}, "[dedup].num_perm", ">= 16"),
        ({"shingle": "3"}, "[dedup].shingle", "expected integer"),
        ({"treshold": 0.5}, "[dedup]", "unknown field 'treshold'"),
        ({"exact": False, "near": False}, "[dedup]", "nothing to do"),
    ],
)
def test_bad_settings_are_located_errors(table: dict[str, Any], where: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_dedup(table, StepContext(exclude=print))
    assert caught.value.path == where
    assert says in caught.value.message


def test_without_the_curate_extra_near_is_refused_and_exact_still_works(
    monkeypatch: pytest.MonkeyPatch, long_one: Trajectory
) -> None:
    monkeypatch.setitem(sys.modules, "rensa", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "trajforge.curate.near", raising=False)
    with pytest.raises(ConfigError) as caught:
        make_dedup({}, StepContext(exclude=print))
    assert caught.value.path == "[dedup].near"
    assert "trajforge[curate]" in str(caught.value.hint)
    kept, excluded, _ = dedup([long_one, rerun(long_one, "copy")], {"near": False})
    assert ids(kept) == [long_one.id]
    assert [i for i, _, _ in excluded] == ["copy"]
