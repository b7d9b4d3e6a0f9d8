"""``trajforge curate``: a config's steps in order, the exclusion file, the reports, and errors
located in the config, as the library runs them and as the command prints them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Outcome
from trajforge.curate.config import build_steps, load_curation_config
from trajforge.curate.run import UNSAID, run_curation
from trajforge.curate.step import CURATION_STEPS, StepContext
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories, write_trajectories
from trajforge.run.spec import load_run_config
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

CONFIG = """\
seed = 7

[filter]
[[filter.drop]]
why = "unrecovered policy violation"
label = "policy_violation"
recovered = false

[[filter.drop]]
length = "steps"
gt = 20

[balance]
[[balance.mix]]
field = "outcome.status"
shares = { success = 0.5, partial = 0.25, failure = 0.25 }
"""


def write(tmp_path: Path, text: str, name: str = "curate.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_steps_run_in_order_and_say_what_they_removed(dataset_file: Path, tmp_path: Path) -> None:
    dest = str(tmp_path / "curated.jsonl")
    result = run_curation(str(dataset_file), dest, load_curation_config(write(tmp_path, CONFIG)))
    given = [t.id for t in read_trajectories(dataset_file)]
    kept = [t.id for t in read_trajectories(dest)]
    excluded = lines(tmp_path / "curated.jsonl.excluded.jsonl")
    # nothing lost, nothing twice: every input trajectory is kept or excluded, with the record
    assert sorted(kept + [e["id"] for e in excluded]) == sorted(given)
    assert all(e["trajectory"]["id"] == e["id"] for e in excluded)
    steps = [e["step"] for e in excluded]
    assert steps == sorted(steps, key=["filter", "balance"].index)  # the filter's first
    reasons = {(e["step"], e["reason"]) for e in excluded}
    assert ("filter", "length of steps > 20") in reasons
    assert ("balance", "sampled out to meet the target mix") in reasons
    report = json.loads((tmp_path / "curated.jsonl.curation.json").read_text())
    assert report["written"] == len(kept) == result.job.written.count
    assert report["seed"] == 7
    filtered, balanced = report["steps"]
    assert (filtered["name"], filtered["seen"]) == ("filter", len(given))
    assert filtered["seen"] - filtered["kept"] == sum(filtered["removed"].values())
    assert balanced["seen"] == filtered["kept"]
    assert balanced["kept"] == len(kept)
    assert [r["rule"] for r in filtered["report"]["rules"]] == ["drop[0]", "drop[1]"]
    assert {r["target"] for r in balanced["report"]["coverage"]} == {
        "outcome.status = success",
        "outcome.status = partial",
        "outcome.status = failure",
    }
    # each kept trajectory records the steps it passed, with their settings
    first = next(read_trajectories(dest))
    names = [stage.name for stage in first.provenance.stages]
    assert names[-2:] == ["filter", "balance"]


def test_bad_records_are_quarantined_and_exclusions_optional(
    dataset_file: Path, tmp_path: Path
) -> None:
    source = tmp_path / "with-bad.jsonl"
    good = dataset_file.read_text().splitlines()[:30]
    source.write_text("\n".join([*good[:10], '{"id": 3}', *good[10:]]) + "\n")
    dest = str(tmp_path / "out.jsonl")
    config = load_curation_config(
        write(tmp_path, '[filter]\n[[filter.drop]]\nlength = "steps"\ngt = 9\n')
    )
    result = run_curation(str(source), dest, config, exclusions=False)
    assert result.job.quarantined == 1
    assert result.exclusions is None
    assert not (tmp_path / "out.jsonl.excluded.jsonl").exists()
    (filtered,) = result.steps
    assert filtered.seen == 30
    assert filtered.kept + sum(filtered.removed.values()) == 30


def dropping(fail_after: int | None) -> Callable[[Mapping[str, Any], StepContext], Any]:
    """A plugin's step that removes every other trajectory, saying why only for the first, and
    fails after ``fail_after`` trajectories."""

    class Step:
        name = "flaky"
        version = "1"

        def __init__(self, context: StepContext) -> None:
            self.context = context

        def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
            for i, t in enumerate(trajectories):
                if fail_after is not None and i == fail_after:
                    raise RuntimeError("the plugin broke")
                if i % 2 == 0:
                    yield t
                elif i == 1:
                    self.context.exclude(t, "odd one out")

    return lambda table, context: Step(context)


@pytest.mark.parametrize("fail_after", [None, 5])
def test_a_plugin_step_removals_are_counted_and_a_failed_run_leaves_nothing(
    dataset_file: Path, tmp_path: Path, fail_after: int | None
) -> None:
    CURATION_STEPS.add("flaky", dropping(fail_after))
    try:
        config = load_curation_config(write(tmp_path, "[flaky]\n"))
        dest = str(tmp_path / "out.jsonl")
        if fail_after is not None:
            with pytest.raises(RuntimeError):
                run_curation(str(dataset_file), dest, config)
            assert sorted(p.name for p in tmp_path.iterdir()) == ["curate.toml"]
            return
        result = run_curation(str(dataset_file), dest, config)
    finally:
        CURATION_STEPS.remove("flaky")
    (step,) = result.steps
    assert step.removed == {UNSAID: step.seen // 2 - 1, "odd one out": 1}
    assert step.report is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[dedupe]\nexact = true\n", "curate.toml: [dedupe]: unknown curation step 'dedupe'"),
        ("filter = 3\n", "curate.toml: filter: expected a table of the step's settings"),
        ('seed = "x"\n[balance]\nsize = 3\n', "curate.toml: seed: expected a whole number"),
        ("seed = 1\n", "curate.toml: no curation steps"),
        ("[balance]\nsize = -1\n", "curate.toml: [balance].size: expected integer >= 1"),
        ("[filter\n", "curate.toml: invalid TOML"),
    ],
)
def test_config_errors_name_the_file_and_table(tmp_path: Path, text: str, says: str) -> None:
    config = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        run_curation("in.jsonl", "out.jsonl", load_curation_config(config))
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(says)
    if "unknown curation step" in says:
        assert caught.value.hint is not None
        assert "balance" in caught.value.hint
        assert "filter" in caught.value.hint


def test_the_example_config_is_sound() -> None:
    example = Path(__file__).parents[2] / "examples" / "curate.toml"
    config = load_curation_config(example)
    steps = build_steps(config, lambda step: lambda trajectory, reason, **detail: None)
    assert [step.name for step in steps] == ["filter", "dedup", "balance", "redact", "audit"]


def test_the_command(trajforge: Callable[..., Outcome], dataset_file: Path, tmp_path: Path) -> None:
    config = write(tmp_path, CONFIG.replace("[balance]\n", "[balance]\nsize = 300\n"))
    dest, plan = tmp_path / "out.jsonl", tmp_path / "plan.toml"
    done = trajforge("curate", dataset_file, "--config", config, "--out", dest, "--fill-plan", plan)
    assert done.code == 0, done.stderr
    assert "│ filter │ 400 │" in done.stdout  # the summary: step, seen, kept, removed, reason
    assert "unrecovered policy violation" in done.stdout
    assert "outcome.status = partial" in done.stdout  # the coverage table
    assert "wrote the fill plan" in done.stdout
    assert load_run_config(plan).mix
    assert (tmp_path / "out.jsonl.curation.json").exists()
    bad = write(
        tmp_path, '[filter]\n[[filter.drop]]\nfield = "outcome.stauts"\neq = 1\n', "bad.toml"
    )
    failed = trajforge("curate", dataset_file, "--config", bad, "--out", tmp_path / "x.jsonl")
    assert failed.code == 1
    assert "error: " in failed.stderr
    assert "bad.toml: [filter].drop[0].field: unknown field 'stauts' in outcome" in failed.stderr
    assert "hint: its fields: checks, final_state_digest, score" in failed.stderr
    filtering = write(tmp_path, '[filter]\n[[filter.drop]]\nlength = "steps"\ngt = 9\n', "f.toml")
    unplanned = trajforge(
        "curate", dataset_file, "--config", filtering, "--out", tmp_path / "x.jsonl",
        "--fill-plan", tmp_path / "x.toml",
    )  # fmt: skip
    assert unplanned.code == 1
    assert "f.toml: --fill-plan: a fill plan needs a [balance] table" in unplanned.stderr
    assert not (tmp_path / "x.jsonl").exists()
    assert not (tmp_path / "x.toml").exists()


def test_audit_runs_last_wherever_it_is_written(tmp_path: Path) -> None:
    text = '[audit]\nqueue = "q.jsonl"\nper_stratum = 1\n[redact]\n[filter]\n[dedup]\n'
    config = load_curation_config(write(tmp_path, text))
    assert [name for name, _ in config.tables] == ["redact", "filter", "dedup", "audit"]


def rewriting(touch: str) -> Callable[[Mapping[str, Any], StepContext], Any]:
    """A plugin's step that parks its stream as JSON and reads it back (other objects, equal
    ones), changing the trajectory ``touch`` and giving the first trajectory twice."""

    class Step:
        name = "rewrite"
        version = "1"

        def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
            parked = [encode(t) for t in trajectories]
            first = TrajectoryDecoder().decode(parked[0])
            for data in parked:
                trajectory = TrajectoryDecoder().decode(data)
                if trajectory.id == touch:
                    trajectory.task.instruction = "changed"
                yield trajectory
            yield first

    return lambda table, context: Step()


def test_records_read_back_unchanged_are_not_counted_changed(
    dataset: list[Trajectory], tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    write_trajectories(source, dataset[:20])
    CURATION_STEPS.add("rewrite", rewriting(touch=dataset[3].id))
    try:
        config = load_curation_config(write(tmp_path, "[rewrite]\n"))
        result = run_curation(str(source), str(tmp_path / "out.jsonl"), config)
    finally:
        CURATION_STEPS.remove("rewrite")
    (step,) = result.steps
    # the first trajectory came back twice: the second time it is one the step made
    assert (step.seen, step.kept, step.changed) == (20, 21, 2)
