"""The fill plan: what ``[balance]`` found missing, as a run config ``trajforge generate`` takes,
steered towards each gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.curate.conftest import RunStep
from trajforge.curate.config import CurationConfig
from trajforge.curate.fill_plan import check_planned, fill_plan
from trajforge.errors import ConfigError
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
