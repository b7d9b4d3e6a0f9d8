"""The fill plan: what ``[balance]`` found missing, as a run config ``trajforge generate`` takes,
steered towards each gap."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Outcome
from tests.curate.conftest import RunStep
from trajforge.curate.config import CurationConfig
from trajforge.curate.fill_plan import check_planned, fill_plan
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories, write_trajectories
from trajforge.run.spec import MixSpec, load_run_config
from trajforge.schema import Trajectory


def planned(tmp_path: Path, text: str) -> list[MixSpec]:
    path = tmp_path / "plan.toml"
    path.write_text(text)
    return load_run_config(path).mix


def test_the_plan_is_a_run_config_aimed_at_the_gaps(
    dataset: list[Trajectory], run_step: RunStep, tmp_path: Path
) -> None:
    no_web = [t for t in dataset if t.task.environment != "web"]
    table = {
        "size": 300,
        "mix": [
            {"field": "task.environment", "shares": {"web": 0.2, "*": 0.8}},
            {"field": "outcome.status", "shares": {"success": 0.4, "partial": 0.3, "failure": 0.3}},
        ],
        "at_least": [{"each": "fault", "recovered": True, "count": 3, "only": ["permanent"]}],
    }
    ran = run_step("balance", table, no_web)
    rows = {r["target"]: r for r in ran.step.report()["coverage"]}
    assert rows["task.environment = web"]["missing"] == 60
    missing_permanent = rows["fault permanent (recovered) in >= 3 trajectories"]["missing"]
    assert missing_permanent > 0
    text, count = fill_plan(*ran.step.gaps(), seed=0)
    mixes = planned(tmp_path, text)
    assert len(mixes) == count
    # web: none in the input, so the environment is set and every episode counts
    web = [m for m in mixes if m.env == "web"]
    assert sum(m.tasks or 0 for m in web) == 60
    # a fault is steered by the profile that injects it; more episodes than are missing
    hostile = [m for m in mixes if m.faults == "hostile"]
    assert hostile
    assert sum(m.tasks or 0 for m in hostile) > missing_permanent
    # partial successes and failures come from mistakes the agent does not recover from
    assert rows["outcome.status = partial"]["missing"] > 0
    unrecovered = [m for m in mixes if m.mistakes > 0 and not m.recover]
    assert {m.env for m in unrecovered} <= {"support", "itops", "dataops"}  # where partials are
    assert sum(m.tasks or 0 for m in unrecovered) > rows["outcome.status = partial"]["missing"]
    assert "# fills none with task.environment = web: 60 missing" in text
    assert fill_plan(*ran.step.gaps(), seed=0) == (text, count)  # deterministic


def test_nothing_missing_is_an_empty_plan(
    dataset: list[Trajectory], run_step: RunStep, tmp_path: Path
) -> None:
    ran = run_step(
        "balance", {"mix": [{"field": "outcome.status", "shares": {"success": 1}}]}, dataset
    )
    assert all(r["missing"] == 0 for r in ran.step.report()["coverage"])
    text, count = fill_plan(*ran.step.gaps(), seed=0)
    assert count == 0
    assert planned(tmp_path, text) == []
    assert "# nothing is missing" in text


def test_a_fill_plan_needs_balance() -> None:
    config = CurationConfig("curate.toml", 0, [("filter", {"drop": []})])
    with pytest.raises(
        ConfigError, match=r"curate.toml: --fill-plan: a fill plan needs a \[balance\]"
    ):
        check_planned(config)


def test_generate_runs_the_plan_and_the_gaps_close(
    trajforge: Callable[..., Outcome], dataset: list[Trajectory], tmp_path: Path
) -> None:
    """``curate --fill-plan``, ``generate --config`` of the plan, then the same curation over the
    old data with the new: nothing is missing any more."""
    source = tmp_path / "no-web.jsonl"
    write_trajectories(source, [t for t in dataset if t.task.environment != "web"])
    config = tmp_path / "curate.toml"
    config.write_text(
        "[balance]\nsize = 300\n"
        '[[balance.mix]]\nfield = "task.environment"\nshares = { web = 0.2, "*" = 0.8 }\n'
        '[[balance.at_least]]\neach = "fault"\nonly = ["permanent"]\ncount = 40\n'
    )
    plan = tmp_path / "plan.toml"
    first = trajforge(
        "curate", source, "--config", config, "--out", tmp_path / "a.jsonl", "--fill-plan", plan
    )
    assert first.code == 0, first.stderr
    missing = {r["target"]: r["missing"] for r in coverage(tmp_path / "a.jsonl")}
    assert missing["task.environment = web"] == 60
    assert missing["fault permanent in >= 40 trajectories"] > 0
    made = trajforge("generate", "--config", plan, "--out", tmp_path / "fill")
    assert made.code == 0, made.stderr
    both = tmp_path / "both.jsonl"
    write_trajectories(both, [*read_trajectories(source), *read_trajectories(tmp_path / "fill")])
    second = trajforge("curate", both, "--config", config, "--out", tmp_path / "b.jsonl")
    assert second.code == 0, second.stderr
    assert all(r["missing"] == 0 for r in coverage(tmp_path / "b.jsonl")), coverage(
        tmp_path / "b.jsonl"
    )


def coverage(dest: Path) -> list[dict[str, Any]]:
    """The coverage rows of the balance step of the curation run that wrote ``dest``."""
    report = json.loads(Path(f"{dest}.curation.json").read_text())
    rows: list[dict[str, Any]] = report["steps"][0]["report"]["coverage"]
    return rows
