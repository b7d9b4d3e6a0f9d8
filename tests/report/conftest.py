"""A pipeline run made once per test session by the ``trajforge`` commands themselves: generated
(experts with mistakes, flaky tools, branches), graded with rules and roll-outs, given human
labels on some steps, curated (filter, dedup, redaction, an audit queue), audited and exported;
and the HTML report of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from tests.browser import chromium
from trajforge.cli.app import app
from trajforge.curate.review_queue import QueueEntry, read_entries
from trajforge.io import read_trajectories, write_trajectories
from trajforge.report.html import write_report
from trajforge.schema import Label, LabelSource, Trajectory

CURATION = """
seed = 3

[filter]
[[filter.drop]]
why = "too long"
length = "steps"
gt = 20

[dedup]

[redact]

[audit]
queue = "{queue}"
strata = ["environment"]
per_stratum = 3
"""


@dataclass(frozen=True)
class Run:
    """The run folder, the report's input, and the report."""

    folder: Path
    data: Path
    reference: Path
    report: Path


def invoke(*args: str | Path) -> str:
    """Run one ``trajforge`` command; it must succeed."""
    ran = CliRunner().invoke(app, [str(a) for a in args])
    assert ran.exit_code == 0, ran.output
    return ran.stdout


def human_labels(trajectory: Trajectory, index: int) -> Trajectory:
    """Every third trajectory reviewed: a human marks as mistakes the steps a rule flags, except
    on every fifth one, where the human disagrees with the rules."""
    if index % 3:
        return trajectory
    for i, step in enumerate(trajectory.steps):
        flagged = any(
            label.source.kind == "rule" and (label.value or 0) < 0.5 for label in step.labels
        )
        says = flagged != (index % 5 == 0 and i % 2 == 0)
        step.labels.append(
            Label(
                name="review",
                source=LabelSource(kind="human", id="ana"),
                value=0.0 if says else 1.0,
                grade="incorrect" if says else "correct",
            )
        )
    return trajectory


#: one chromium for this package's browser tests (see tests/browser.py)
browser = pytest.fixture(scope="package", name="browser")(chromium)


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("run")
    for env, seed in (("support", 1), ("itops", 4)):
        invoke(
            "generate", "--env", env, "--tasks", "10", "--mistakes", "0.2", "--faults", "flaky",
            "--branch-at", "2", "--branches", "1", "--seed", seed, "--out", folder / f"01-{env}",
        )  # fmt: skip
    graded = folder / "02-graded.jsonl"
    invoke("grade", str(folder / "01-*"), "--out", graded, "--rollouts", "2")
    reviewed = folder / "03-reviewed.jsonl"
    trajectories = [human_labels(t, i) for i, t in enumerate(read_trajectories(graded, None))]
    copies = [msgspec.structs.replace(t, id=f"{t.id}-copy") for t in trajectories[:3]]
    write_trajectories(reviewed, [*trajectories, *copies])
    queue = folder / "audit-queue.jsonl"
    config = folder / "curate.toml"
    config.write_text(CURATION.format(queue=queue))
    curated = folder / "04-curated.jsonl"
    invoke("curate", reviewed, "--config", config, "--out", curated)
    results = folder / "audit-results.jsonl"
    verdicts = ("accept", "reject", "needs-fix")
    with results.open("w") as f:
        for n, (_, entry) in enumerate(read_entries(queue, QueueEntry)):
            f.write(
                msgspec.json.encode({"id": entry.id, "verdict": verdicts[n % 3]}).decode() + "\n"
            )
    (folder / "audit.json").write_text(invoke("audit", "summary", queue, results, "--json"))
    invoke("export", "openai-ft", curated, folder / "05-sft.jsonl")
    report = write_report(
        curated, folder / "report.html", run_dir=folder, reference=folder / "01-support"
    )
    return Run(folder, curated, folder / "01-support", report)
