"""``trajforge report PATH --out`` (and ``report html``), ``--compare A B``, and bad usage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Outcome
from tests.report.conftest import Run
from tests.report.page import SECTIONS, missing, sections, table_rows

Trajforge = Callable[..., Outcome]


def test_report_path_is_report_html_path(run: Run, trajforge: Trajforge, tmp_path: Path) -> None:
    short, long = tmp_path / "short.html", tmp_path / "long.html"
    args = ("--run-dir", run.folder, "--reference", run.reference)
    assert trajforge("report", run.data, "--out", short, *args).code == 0
    assert trajforge("report", "html", run.data, "--out", long, *args).code == 0
    assert short.read_text() == long.read_text()  # deterministic, and the same command
    assert short.read_text() == run.report.read_text()  # what write_report wrote


def test_the_other_report_commands_stay(run: Run, trajforge: Trajforge) -> None:
    assert "distinct tool sequences" in trajforge("report", "diversity", run.data).stdout
    assert "drift from" in trajforge("report", "drift", run.reference, run.data).stdout
    assert "html" in trajforge("report", "--help").stdout


def test_compare_shows_two_datasets_side_by_side(
    run: Run, trajforge: Trajforge, tmp_path: Path
) -> None:
    a, b = run.folder / "01-support", run.folder / "01-itops"
    out = tmp_path / "compare.html"
    done = trajforge("report", "--compare", a, b, "--out", out)
    assert done.code == 0, done.stderr
    found = sections(out)
    assert list(found) == list(SECTIONS)
    for name in ("overview", "outcomes", "steps", "tools", "faults", "examples"):
        assert found[name].count('<div class="column">') == 2, name
        assert f"<h3>{a}</h3>" in found[name]
        assert f"<h3>{b}</h3>" in found[name]
    assert table_rows(found["overview"], str(a))[0] == ["trajectories", "20"]
    assert not missing(found["drift"])
    drifted = {row[0] for row in table_rows(found["drift"], "drift") if row[6] == "yes"}
    assert "environments" in drifted  # support against itops


def test_bad_usage_is_one_line(run: Run, trajforge: Trajforge, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    neither = trajforge("report", "--out", out)
    assert neither.code == 1
    assert "give either PATH or --compare A B" in neither.stderr
    both = trajforge("report", run.data, "--compare", run.data, run.data, "--out", out)
    assert both.code == 1
    absent = trajforge("report", tmp_path / "absent.jsonl", "--out", out)
    assert absent.code == 1
    assert "absent.jsonl: no such file or directory" in absent.stderr
    assert "Traceback" not in neither.stderr + both.stderr + absent.stderr
    assert not out.exists()
