"""Rich tables of the diversity and drift reports."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from trajforge.curate.diversity import Diversity
from trajforge.curate.drift import DriftReport, Measure


def diversity_table(d: Diversity, title: str = "diversity") -> Table:
    """One row per diversity measure."""
    table = Table(title=title, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    approx = "" if d.exact else "~"
    rows = [
        ("trajectories", f"{d.trajectories:,}"),
        ("distinct tool sequences", f"{approx}{d.distinct_tool_sequences:,}"),
        ("distinct tool sets", f"{approx}{d.distinct_tool_sets:,}"),
        ("tool calls", f"{d.tool_calls:,}"),
        ("tool use entropy (bits)", f"{d.tool_entropy_bits:.2f}"),
        ("instructions", f"{d.instructions:,}"),
        ("distinct instructions", f"{approx}{d.distinct_instructions:,}"),
        *((f"distinct-{n} of instructions", f"{v:.3f}") for n, v in d.distinct_n.items()),
        ("n-gram diversity (product)", f"{d.ngram_diversity:.4f}"),
    ]
    if d.embedding is not None:
        e = d.embedding
        what = f"mean cosine distance ({e.model}, {e.sample:,} instructions)"
        rows.append((what, f"{e.mean_cosine_distance:.3f}"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def measure_value(m: Measure, value: float | None) -> str:
    """A measure's value in one dataset, as people read it."""
    if value is None:
        return "-"
    if m.kind == "categorical":
        return f"{int(value)} kind{'s' * (value != 1)}"
    return f"{value:.1%}" if m.kind == "rate" else f"{value:.2f}"


def _moves(m: Measure) -> str:
    if m.wasserstein is not None:
        return f"W1 {m.wasserstein:.2f}"
    return ", ".join(f"{escape(k)} {v:+.1%}" for k, v in m.moves.items())


def drift_table(report: DriftReport, title: str = "drift") -> Table:
    """One row per measure: A, B, the distance, its p-value, and what moved."""
    table = Table(title=title, header_style="bold")
    table.add_column("measure", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column(f"A ({report.a:,})", justify="right")
    table.add_column(f"B ({report.b:,})", justify="right")
    table.add_column("distance", justify="right")
    table.add_column("p", justify="right")
    table.add_column("moved most / W1", overflow="fold")
    for m in report.measures:
        distance = "-" if m.distance is None else f"{m.distance:.3f}"
        p = "-" if m.p_value is None else f"{m.p_value:.3g}"
        style = "bold red" if m.drifted else None
        cells = (measure_value(m, m.a), measure_value(m, m.b), distance, p, _moves(m))
        table.add_row(m.name, m.kind, *cells, style=style)
    return table
