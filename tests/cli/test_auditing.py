"""``trajforge audit summary`` over a queue the [audit] step wrote and reviewers' results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.curate.generated import generated
from trajforge.cli import common
from trajforge.cli.app import app
from trajforge.curate.audit import make_audit
from trajforge.curate.step import StepContext
from trajforge.errors import InputError


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    for console in (common.out, common.err):
        monkeypatch.setattr(console, "width", 10_000)


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, Path]:
    """A queue of 2 per outcome over generated runs with mistakes, every entry reviewed: the
    failures rejected, the rest accepted."""
    runs = generated(("support", 30), seed=5, mistakes=0.4)
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    table = {"queue": str(queue), "strata": ["outcome"], "per_stratum": 2}
    list(make_audit(table, StepContext(lambda *a, **k: None))(iter(runs)))
    lines = []
    for line in queue.read_text().splitlines():
        entry = json.loads(line)
        verdict = "reject" if entry["stratum"]["outcome"] == "failure" else "accept"
        lines.append(json.dumps({"id": entry["id"], "verdict": verdict, "reviewer": "ana"}))
    results.write_text("\n".join(lines) + "\n")
    return queue, results


def test_summary_table_and_json(audited: tuple[Path, Path]) -> None:
    queue, results = audited
    shown = CliRunner().invoke(app, ["audit", "summary", str(queue), str(results)])
    assert shown.exit_code == 0, shown.output
    assert "95% interval (Wilson)" in shown.stdout
    assert "outcome=failure" in shown.stdout
    assert "100.0%" in shown.stdout  # the failures' error rate
    assert "dataset (by stratum size)" in shown.stdout

    printed = CliRunner().invoke(
        app, ["audit", "summary", str(queue), str(results), "--json", "--confidence", "0.9"]
    )
    summary = json.loads(printed.stdout)
    assert summary["confidence"] == 0.9
    rates = {s["stratum"]["outcome"]: s["error"]["rate"] for s in summary["strata"]}
    assert rates == {"failure": 1.0, "partial": 0.0, "success": 0.0}
    assert summary["reviewed"] == summary["queued"] == 6


def test_a_bad_result_line_is_named(audited: tuple[Path, Path]) -> None:
    queue, results = audited
    results.write_text(results.read_text() + '{"id": "x", "verdict": "fine"}\n')
    ran = CliRunner().invoke(app, ["audit", "summary", str(queue), str(results)])
    assert ran.exit_code != 0
    assert isinstance(ran.exception, InputError)
    assert str(ran.exception) == f"line 7 of {results}: verdict: invalid enum value 'fine'"


def test_confidence_is_checked(audited: tuple[Path, Path]) -> None:
    ran = CliRunner().invoke(app, ["audit", "summary", *map(str, audited), "--confidence", "95"])
    assert "between 0 and 1" in str(ran.exception)
