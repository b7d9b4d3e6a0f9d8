"""The HTML report of a whole pipeline run holds every section, with the run's own numbers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.conftest import Run
from tests.report.page import SECTIONS, missing, sections, table_rows
from trajforge.io import read_trajectories
from trajforge.report.html import write_report


def test_every_section_is_there_with_charts_or_tables(run: Run) -> None:
    found = sections(run.report)
    assert list(found) == list(SECTIONS)
    for name, section in found.items():
        assert not missing(section), (name, missing(section))
        assert '<svg class="chart"' in section or "<table>" in section or name == "examples"


def test_the_numbers_are_the_runs(run: Run) -> None:
    found = sections(run.report)
    count = sum(1 for _ in read_trajectories(run.data, None))
    overview = dict(map(tuple, table_rows(found["overview"], str(run.data))))  # type: ignore[arg-type]
    assert overview["trajectories"] == f"{count:,}"
    curation = json.loads(run.data.with_name(run.data.name + ".curation.json").read_text())
    rows = [row for row in table_rows(found["curation"], "removed by step and reason") if row[0]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (s["name"], f"{s['seen']:,}", f"{s['kept']:,}") for s in curation["steps"]
    ]
    audit = json.loads((run.folder / "audit.json").read_text())
    reviewed = table_rows(found["audit"], "audit error rates")[-2]
    assert reviewed[:4] == ["all reviewed", "", str(audit["queued"]), str(audit["reviewed"])]
    assert reviewed[4] == f"{audit['sample']['rate']:.1%}"


def test_agreement_counts_the_steps_humans_labelled(run: Run) -> None:
    human = sum(
        any(label.source.kind == "human" for label in step.labels)
        for t in read_trajectories(run.data, None)
        for step in t.steps
    )
    rows = {
        row[0]: row
        for row in table_rows(sections(run.report)["agreement"], "agreement with human labels")
    }
    assert set(rows) == {"rule", "rollout", "generator"}
    # every trajectory is graded by rules and roll-outs; the generator labels only those it
    # made mistakes in
    assert rows["rule"][1] == rows["rollout"][1] == f"{human:,}"
    assert 0 < int(rows["generator"][1].replace(",", "")) < human
    rule = rows["rule"]
    both, human_only, rule_only, neither = (int(cell.replace(",", "")) for cell in rule[4:])
    assert both + neither > human_only + rule_only > 0  # the fixture disagrees on some steps


def test_examples_show_a_handoff_a_recovery_and_a_mistake(run: Run) -> None:
    examples = sections(run.report)["examples"].split('<div class="trajectory">')[1:]
    shows = {example.split(":")[0].removeprefix("\n<h3>"): example for example in examples}
    assert set(shows) == {"a hand-off", "a recovery", "a mistake"}
    assert '<span class="head">hands off</span>' in shows["a hand-off"]
    assert "label: recovery recovery" in shows["a recovery"]
    assert '<div class="step mistake">' in shows["a mistake"]
    ids = {example.split("<code>")[1].split("</code>")[0] for example in examples}
    assert len(ids) == 3


def test_what_is_not_there_is_said_not_available(run: Run, tmp_path: Path) -> None:
    plain = run.folder / "01-itops"
    found = sections(write_report(plain, tmp_path / "plain.html"))
    assert list(found) == list(SECTIONS)
    absent = {name for name, section in found.items() if missing(section)}
    # generated data has only the generator's labels on the mistakes it injected
    assert absent == {
        "process",
        "curation",
        "drift",
        "audit",
        "exports",
        "agreement",
        "examples",
    }
    assert "--rollouts" in missing(found["process"])[0]


def test_several_paths_are_one_dataset_and_bad_records_are_counted(
    run: Run, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(run.data.read_text() + '{"id": 3, "steps": "none"}\n')
    page = write_report([broken, run.folder / "01-support"], tmp_path / "r.html")
    rows = dict(
        map(tuple, table_rows(sections(page)["overview"], f"{broken}, {run.folder / '01-support'}"))
    )  # type: ignore[arg-type]
    count = sum(1 for _ in read_trajectories(run.data, None))
    assert rows["trajectories"] == f"{count + 20:,}"
    assert rows["bad records (left out)"].startswith(f"1; first: line {count + 1} of {broken}")
