"""Audit results summarised: error rates per stratum and overall, with Wilson intervals; bad
queue and result lines are located errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.curate.generated import generated
from trajforge.curate.audit_summary import summarize
from trajforge.curate.intervals import wilson
from trajforge.curate.review_queue import QueueEntry
from trajforge.errors import InputError
from trajforge.schema import Trajectory, encode


def runs() -> tuple[Trajectory, ...]:
    return generated(("support", 20), seed=3, mistakes=0.3)


def write_queue(path: Path, strata: Sequence[tuple[str, int, Sequence[Trajectory]]]) -> None:
    """A queue of (outcome, stratum size, sampled trajectories) strata."""
    lines = []
    for outcome, size, sampled in strata:
        for t in sampled:
            entry = QueueEntry(
                id=t.id,
                stratum={"environment": "support", "outcome": outcome},
                stratum_size=size,
                stratum_sample=len(sampled),
                trajectory=msgspec.Raw(encode(t)),
            )
            lines.append(msgspec.json.encode(entry).decode())
    path.write_text("\n".join(lines) + "\n")


def write_results(path: Path, *results: dict[str, Any]) -> None:
    path.write_text("".join(msgspec.json.encode(r).decode() + "\n" for r in results))


def test_rates_per_stratum_and_overall(tmp_path: Path) -> None:
    data = runs()
    big, small = data[:10], data[10:20]
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    write_queue(queue, [("success", 1000, big), ("failure", 100, small)])
    mixed = ("needs-fix", "reject", "accept")
    verdicts = [
        *({"id": t.id, "verdict": "reject" if i < 2 else "accept"} for i, t in enumerate(big)),
        *({"id": t.id, "verdict": mixed[i % 3]} for i, t in enumerate(small[:9])),
    ]
    verdicts[0]["step_errors"] = [{"step": 0, "kind": "wrong-argument", "note": "typo"}]
    verdicts[1]["step_errors"] = [{"step": 1, "kind": "wrong-argument"}, {"step": 0}]
    write_results(results, *verdicts)

    summary = summarize(queue, results)
    assert (summary.queued, summary.reviewed, summary.unreviewed_strata) == (20, 19, 0)
    failure, success = summary.strata  # by name
    assert success.stratum == {"environment": "support", "outcome": "success"}
    assert (success.size, success.queued) == (1000, 10)
    assert success.verdicts == {"accept": 8, "reject": 2}
    assert (success.error.errors, success.error.reviewed, success.error.rate) == (2, 10, 0.2)
    assert (success.error.low, success.error.high) == pytest.approx((0.0567, 0.5098), abs=5e-5)
    assert failure.verdicts == {"accept": 3, "needs-fix": 3, "reject": 3}
    assert (failure.error.low, failure.error.high) == pytest.approx(wilson(6, 9))
    # the sample: 8 errors of 19
    assert summary.sample.rate == pytest.approx(8 / 19)
    assert (summary.sample.low, summary.sample.high) == pytest.approx(wilson(8, 19))
    # the dataset: (1000 * 2/10 + 100 * 6/9) / 1100, at Kish's effective size
    # 1100^2 / (1000^2 / 10 + 100^2 / 9)
    estimate = (1000 * 0.2 + 100 * 6 / 9) / 1100
    effective = 1100**2 / (1000**2 / 10 + 100**2 / 9)
    assert summary.dataset.rate == pytest.approx(estimate)
    assert summary.dataset.reviewed == pytest.approx(effective)
    assert (summary.dataset.low, summary.dataset.high) == pytest.approx(
        wilson(estimate * effective, effective)
    )
    assert summary.step_errors == {"wrong-argument": 2, "(unspecified)": 1}


def test_proportional_samples_make_the_dataset_rate_the_sample_rate(tmp_path: Path) -> None:
    data = runs()
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    write_queue(queue, [("success", 500, data[:10]), ("partial", 200, data[10:14])])
    verdicts = ("accept", "reject", "reject", "reject")
    reviewed = enumerate(data[:14])
    write_results(results, *({"id": t.id, "verdict": verdicts[i % 4]} for i, t in reviewed))
    summary = summarize(queue, results, confidence=0.9)
    assert summary.dataset.rate == pytest.approx(summary.sample.rate)
    assert summary.dataset.reviewed == pytest.approx(14)
    assert (summary.dataset.low, summary.dataset.high) == pytest.approx(wilson(10, 14, 0.9))


def test_strata_without_results(tmp_path: Path) -> None:
    data = runs()
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    write_queue(queue, [("success", 50, data[:3]), ("failure", 5, data[3:5])])
    write_results(results, {"id": data[0].id, "verdict": "accept"})
    summary = summarize(queue, results)
    assert summary.unreviewed_strata == 1
    unreviewed = next(s for s in summary.strata if s.stratum["outcome"] == "failure")
    assert (unreviewed.error.rate, unreviewed.error.low) == (None, None)
    assert summary.dataset.rate == 0.0  # what was reviewed: the success stratum


@pytest.mark.parametrize(
    ("lines", "line", "field", "message"),
    [
        (['{"id": "nope", "verdict": "accept"}'], 1, "id", "not in the queue"),
        (
            ['{"id": "@0", "verdict": "accept"}', '{"id": "@0", "verdict": "reject"}'],
            2,
            "id",
            "has a result already (line 1)",
        ),
        (['{"id": "@0", "verdict": "maybe"}'], 1, "verdict", "invalid enum value 'maybe'"),
        (
            ['{"id": "@0", "verdict": "reject", "step_errors": [{"step": 99}]}'],
            1,
            "step_errors[0].step",
            "has 4 steps (0 to 3)",
        ),
        (
            ['{"id": "@0", "verdict": "reject", "step_errors": [{"step": -1}]}'],
            1,
            "step_errors[0].step",
            ">= 0",
        ),
        (['{"id": "@0", "verdict": "accept", "score": 3}'], 1, None, "unknown field"),
        (["", '{"id": "@0", "verdict": "accept"'], 2, None, "truncated"),
    ],
)
def test_bad_results_are_located(
    tmp_path: Path, lines: list[str], line: int, field: str | None, message: str
) -> None:
    data = runs()
    first = next(t for t in data if len(t.steps) == 4)
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    write_queue(queue, [("success", 10, [first])])
    results.write_text("\n".join(lines).replace("@0", first.id) + "\n")
    with pytest.raises(InputError) as caught:
        summarize(queue, results)
    error = caught.value
    assert (error.file, error.line) == (str(results), line)
    assert error.path == field or (field is None and message in str(error))
    assert message in error.message


def test_bad_queue_lines_are_located(tmp_path: Path) -> None:
    data = runs()
    queue, results = tmp_path / "queue.jsonl", tmp_path / "results.jsonl"
    write_queue(queue, [("success", 10, [data[0], data[1], data[0]])])
    results.write_text("")
    with pytest.raises(InputError, match="queued twice") as caught:
        summarize(queue, results)
    assert (caught.value.file, caught.value.line, caught.value.path) == (str(queue), 3, "id")
    entry = msgspec.json.decode(queue.read_text().splitlines()[0])
    queue.write_text(msgspec.json.encode({**entry, "trajectory": "text"}).decode() + "\n")
    with pytest.raises(InputError, match="trajectory: expected object, got string") as caught:
        summarize(queue, results)
    assert (caught.value.line, caught.value.path) == (1, "trajectory")
    queue.write_text(msgspec.json.encode({**entry, "stratum_size": 0}).decode() + "\n")
    with pytest.raises(InputError, match=">= 1") as caught:
        summarize(queue, results)
    assert (caught.value.line, caught.value.path) == (1, "stratum_size")
