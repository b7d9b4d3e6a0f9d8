"""The audit's numbers: from the review queue and the reviewers' results, the error rate of each
stratum with its Wilson interval, and of the whole dataset.

An error is a ``reject`` or ``needs-fix`` verdict. Overall there are two numbers: the rate in
the reviewed sample, and the estimate for the dataset, which weighs each stratum by its size
(a stratum sampled 5 of 20 counts less than one sampled 5 of 2,000); its interval is Wilson's
at Kish's effective sample size ``(sum w)^2 / sum w^2`` of the reviewed entries' weights
``w = stratum_size / reviewed in the stratum``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import msgspec

from trajforge.curate.intervals import wilson
from trajforge.curate.review_queue import (
    ERROR_VERDICTS,
    AuditResult,
    QueueEntry,
    read_entries,
    step_count,
)
from trajforge.errors import InputError
from trajforge.schema.codec import schema_error


class Rate(msgspec.Struct, kw_only=True):
    """An error rate with its confidence interval (``None`` when nothing was reviewed)."""

    reviewed: float
    errors: float
    rate: float | None
    low: float | None
    high: float | None


class StratumAudit(msgspec.Struct, kw_only=True):
    """One stratum: its size in the dataset, what was queued and reviewed, and the verdicts."""

    stratum: dict[str, str]
    size: int
    queued: int
    verdicts: dict[str, int]
    error: Rate


class AuditSummary(msgspec.Struct, kw_only=True):
    """What ``trajforge audit summary`` reports."""

    confidence: float
    queued: int
    reviewed: int
    strata: list[StratumAudit]
    sample: Rate
    dataset: Rate
    step_errors: dict[str, int]
    unreviewed_strata: int


def rate(errors: float, reviewed: float, confidence: float) -> Rate:
    """``errors`` of ``reviewed`` with its Wilson interval."""
    if reviewed <= 0:
        return Rate(reviewed=0, errors=0, rate=None, low=None, high=None)
    low, high = wilson(errors, reviewed, confidence)
    return Rate(reviewed=reviewed, errors=errors, rate=errors / reviewed, low=low, high=high)


class _Stratum:
    """Tallies of one stratum while the results are read."""

    def __init__(self, entry: QueueEntry) -> None:
        self.stratum = entry.stratum
        self.size = entry.stratum_size
        self.queued = 0
        self.verdicts: Counter[str] = Counter()

    @property
    def reviewed(self) -> int:
        return sum(self.verdicts.values())

    @property
    def errors(self) -> int:
        return sum(n for verdict, n in self.verdicts.items() if verdict in ERROR_VERDICTS)


class _Queued(NamedTuple):
    """What the summary keeps of a queue entry: its stratum and its number of steps."""

    stratum: str
    steps: int
    line: int


def _queue(path: str | Path) -> tuple[dict[str, _Queued], dict[str, _Stratum]]:
    """The queue's entries by id and its strata by name; a repeated id, or a trajectory that
    is not a record, is an InputError at its line."""
    entries: dict[str, _Queued] = {}
    strata: dict[str, _Stratum] = {}
    for line, entry in read_entries(path, QueueEntry):
        if entry.id in entries:
            message = f"id {entry.id!r} is queued twice (line {entries[entry.id].line} too)"
            raise InputError(message, file=str(path), line=line, path="id")
        try:
            steps = step_count(entry)
        except msgspec.ValidationError as exc:
            found = schema_error(exc)
            field = "trajectory" + (f".{found.path}" if found.path else "")
            raise InputError(found.message, file=str(path), line=line, path=field) from None
        key = stratum_name(entry.stratum)
        entries[entry.id] = _Queued(key, steps, line)
        strata.setdefault(key, _Stratum(entry)).queued += 1
    return entries, strata


def summarize(queue: str | Path, results: str | Path, *, confidence: float = 0.95) -> AuditSummary:
    """The audit summary of ``results`` (reviewers' verdicts) over ``queue`` (the review
    queue); a result whose id is not queued, a second result for an id, or a flagged step the
    trajectory does not have is an InputError at its line."""
    entries, strata = _queue(queue)
    seen: dict[str, int] = {}
    step_errors: Counter[str] = Counter()
    for line, result in read_entries(results, AuditResult):
        entry = entries.get(result.id)
        if entry is None:
            message = f"id {result.id!r} is not in the queue {queue}"
            raise InputError(message, file=str(results), line=line, path="id")
        if result.id in seen:
            message = f"id {result.id!r} has a result already (line {seen[result.id]})"
            raise InputError(message, file=str(results), line=line, path="id")
        seen[result.id] = line
        _check_steps(result, entry.steps, file=str(results), line=line)
        strata[entry.stratum].verdicts[result.verdict] += 1
        step_errors.update(error.kind or "(unspecified)" for error in result.step_errors)
    return AuditSummary(
        confidence=confidence,
        queued=len(entries),
        reviewed=len(seen),
        strata=[_stratum_audit(s, confidence) for _, s in sorted(strata.items())],
        sample=_pooled(strata.values(), confidence),
        dataset=_weighted(strata.values(), confidence),
        step_errors=dict(step_errors.most_common()),
        unreviewed_strata=sum(1 for s in strata.values() if s.reviewed == 0),
    )


def stratum_name(stratum: dict[str, str]) -> str:
    """``environment=support outcome=failure``: a stratum as people read it."""
    return " ".join(f"{key}={value}" for key, value in stratum.items()) or "(all)"


def _check_steps(result: AuditResult, steps: int, *, file: str, line: int) -> None:
    for i, error in enumerate(result.step_errors):
        if error.step >= steps:
            raise InputError(
                f"trajectory {result.id!r} has {steps} steps (0 to {steps - 1})",
                file=file,
                line=line,
                path=f"step_errors[{i}].step",
            )


def _stratum_audit(stratum: _Stratum, confidence: float) -> StratumAudit:
    return StratumAudit(
        stratum=stratum.stratum,
        size=stratum.size,
        queued=stratum.queued,
        verdicts=dict(sorted(stratum.verdicts.items())),
        error=rate(stratum.errors, stratum.reviewed, confidence),
    )


def _pooled(strata: Iterable[_Stratum], confidence: float) -> Rate:
    strata = list(strata)
    return rate(sum(s.errors for s in strata), sum(s.reviewed for s in strata), confidence)


def _weighted(strata: Iterable[_Stratum], confidence: float) -> Rate:
    """The dataset's error rate from the reviewed strata, each weighed by its size."""
    reviewed = [s for s in strata if s.reviewed]
    if not reviewed:
        return rate(0, 0, confidence)
    size = sum(s.size for s in reviewed)
    estimate = sum(s.size * s.errors / s.reviewed for s in reviewed) / size
    effective = size**2 / sum(s.size**2 / s.reviewed for s in reviewed)
    return rate(estimate * effective, effective, confidence)
