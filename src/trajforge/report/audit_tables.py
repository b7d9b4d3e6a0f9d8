"""Rich tables of an audit summary: error rates per stratum and overall, and flagged steps."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from trajforge.curate.audit_summary import AuditSummary, Rate, stratum_name


def _rate(rate: Rate) -> tuple[str, str]:
    if rate.rate is None or rate.low is None or rate.high is None:
        return "-", "-"
    return f"{rate.rate:.1%}", f"{rate.low:.1%} – {rate.high:.1%}"


def audit_table(summary: AuditSummary, title: str = "audit") -> Table:
    """One row per stratum, then the sample's and the dataset's error rate."""
    table = Table(title=title, header_style="bold")
    table.add_column("stratum")
    for column in ("size", "queued", "reviewed", "errors", "error rate"):
        table.add_column(column, justify="right")
    table.add_column(f"{summary.confidence:.0%} interval (Wilson)", justify="right")
    for s in summary.strata:
        reviewed, errors = int(s.error.reviewed), int(s.error.errors)
        counts = (f"{s.size:,}", f"{s.queued:,}", f"{reviewed:,}", f"{errors:,}")
        table.add_row(escape(stratum_name(s.stratum)), *counts, *_rate(s.error))
    sample = (f"{summary.queued:,}", f"{summary.reviewed:,}", f"{int(summary.sample.errors):,}")
    table.add_row("all reviewed", "", *sample, *_rate(summary.sample), style="bold")
    effective = f"{summary.dataset.reviewed:,.1f} effective"
    dataset = ("", "", effective, "", *_rate(summary.dataset))
    table.add_row("dataset (by stratum size)", *dataset, style="bold")
    return table


def step_errors_table(summary: AuditSummary) -> Table:
    """Flagged steps by kind."""
    table = Table(title="flagged steps", header_style="bold")
    table.add_column("kind")
    table.add_column("steps", justify="right")
    for kind, count in summary.step_errors.items():
        table.add_row(escape(kind), f"{count:,}")
    return table
