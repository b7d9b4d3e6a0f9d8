"""Rich tables for dataset statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from trajforge.curate.run import StepSummary
from trajforge.formats.import_report import ImportTally
from trajforge.pipeline.runner import RunReport
from trajforge.report.stats import DatasetStats, Distribution
from trajforge.verify.summary import LabelSummary


def _dist(d: Distribution) -> str:
    marks = " ".join(f"{k}={v}" for k, v in d.percentiles.items())
    return f"mean={d.mean:.1f} min={d.min} {marks} max={d.max}" if d.count else "-"


def _mix(counts: dict[str, int], top: int = 8) -> str:
    total = sum(counts.values())
    if not total:
        return "-"
    items = list(counts.items())
    shown = ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in items[:top])
    return shown + (f", … {len(items) - top} more" if len(items) > top else "")


def stats_rows(stats: DatasetStats) -> list[tuple[str, str]]:
    """The statistics as ``(name, value)`` texts for people (``stats`` and the HTML report)."""
    score = "-" if stats.mean_outcome_score is None else f"{stats.mean_outcome_score:.3f}"
    rows = [
        ("trajectories", f"{stats.trajectories:,}"),
        ("steps per trajectory", _dist(stats.steps)),
        ("tool calls", f"{stats.tool_calls:,}"),
        ("tool calls per trajectory", _dist(stats.tool_calls_per_trajectory)),
        ("tool calls by tool", _mix(stats.tool_calls_by_name)),
        ("actions by kind", _mix(stats.action_kinds)),
        ("tool result status", _mix(stats.result_statuses)),
        ("outcome status", _mix(stats.outcome_statuses)),
        ("mean outcome score", score),
        ("environments", _mix(stats.environments)),
        ("sources", _mix(stats.sources)),
        ("faults injected", _mix(stats.faults)),
        ("labels", _mix(stats.labels)),
        ("tokens (prompt / completion)", f"{stats.prompt_tokens:,} / {stats.completion_tokens:,}"),
    ]
    if stats.bad_records:
        first = stats.first_bad_record or ""
        rows.append(("bad records (left out)", f"{stats.bad_records:,}; first: {first}"))
    return rows


def stats_table(stats: DatasetStats, title: str = "dataset") -> Table:
    """One row per statistic, formatted for people."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("statistic")
    table.add_column("value", overflow="fold")
    for name, value in stats_rows(stats):
        table.add_row(name, value)
    return table


def label_table(summary: LabelSummary, title: str) -> Table:
    """Label counts per environment, source, label and grade, then trajectories per environment."""
    table = Table(title=title, header_style="bold")
    for column in ("environment", "source", "label", "grade", "count"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for key, count in summary.rows():
        table.add_row(key.environment, key.source, key.name, key.grade, f"{count:,}")
    for environment, count in sorted(summary.trajectories.items()):
        failed = summary.failed.get(environment, 0)
        table.add_row(
            environment, "", "trajectories", f"{failed:,} failed", f"{count:,}", style="bold"
        )
    return table


def stage_table(report: RunReport, title: str = "stages") -> Table:
    """What each stage of a run saw, kept, changed, set aside and failed on, and the time it
    took (summed over the processes it ran in)."""
    table = Table(title=title, header_style="bold")
    table.add_column("stage")
    for column in ("version", "seen", "kept", "changed", "set aside", "failed", "time"):
        table.add_column(column, justify="right")
    for s in report.stages:
        counts = (s.seen, s.kept, s.changed, s.set_aside, s.failed)
        table.add_row(s.name, s.version, *(f"{n:,}" for n in counts), _duration(s.seconds))
    return table


def _duration(seconds: float) -> str:
    """``0.42 s``, ``3 min 05 s``."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def import_table(fmt: str, read: int, tally: ImportTally, reasons: Counter[str]) -> Table:
    """An import's report: records read and imported, set aside by reason, and the source keys
    kept in ``provenance.extra`` by name."""
    table = Table(title=f"import of {fmt} records", header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records read", f"{read:,}")
    table.add_row("records imported", f"{tally.records:,}")
    table.add_row("trajectories written", f"{tally.trajectories:,}")
    for reason, count in reasons.most_common():
        table.add_row(f"set aside: {escape(reason)}", f"{count:,}", style="yellow")
    for key, count in tally.unmapped.most_common():
        table.add_row(f"kept in provenance.extra: {escape(key)}", f"{count:,}")
    return table


def curation_table(steps: Sequence[StepSummary], title: str = "curation") -> Table:
    """Per curation step: what it saw, kept and changed, and what it removed, by reason."""
    table = Table(title=title, header_style="bold")
    table.add_column("step")
    for column in ("seen", "kept", "changed", "removed"):
        table.add_column(column, justify="right")
    table.add_column("reason", overflow="fold")
    for step in steps:
        head = (step.name, f"{step.seen:,}", f"{step.kept:,}", f"{step.changed:,}")
        reasons = list(step.removed.items()) or [("", 0)]
        for i, (reason, count) in enumerate(reasons):
            cells = head if i == 0 else ("", "", "", "")
            table.add_row(*cells, f"{count:,}" if reason else "0", escape(reason))
    return table


def coverage_table(rows: Sequence[Mapping[str, Any]], title: str = "coverage") -> Table:
    """A coverage table: per target, what it wants, what the input has, what was kept, and what
    is missing (in yellow)."""
    table = Table(title=title, header_style="bold")
    table.add_column("target", overflow="fold")
    for column in ("wanted", "available", "kept", "missing"):
        table.add_column(column, justify="right")
    for row in rows:
        wanted = _with_share(row["wanted"], row.get("wanted_share"))
        kept = _with_share(row["kept"], row.get("kept_share"))
        style = "yellow" if row["missing"] else None
        cells = (wanted, f"{row['available']:,}", kept, f"{row['missing']:,}")
        table.add_row(escape(str(row["target"])), *cells, style=style)
    return table


def _with_share(count: int, share: float | None) -> str:
    return f"{count:,}" if share is None else f"{count:,} ({share:.1%})"
