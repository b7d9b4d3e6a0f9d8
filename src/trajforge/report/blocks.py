"""The pieces a report section is made of: charts, tables, notes, preformatted text and example
trajectories. The page template renders each by its ``kind``; every string in them is data
that the template escapes (a chart is SVG that :mod:`trajforge.report.svg` escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup

from trajforge.report.trajectory_view import TrajectoryView


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart with a caption."""

    svg: Markup
    caption: str
    kind: Literal["chart"] = "chart"


@dataclass(frozen=True)
class Table:
    """A table: a caption, column names and rows of cell texts."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Note:
    """A sentence; ``missing`` marks what is not available for this dataset."""

    text: str
    missing: bool = False
    kind: Literal["note"] = "note"


@dataclass(frozen=True)
class Preformatted:
    """A text shown as it is (a dataset card), folded under its title."""

    title: str
    text: str
    kind: Literal["pre"] = "pre"


@dataclass(frozen=True)
class Example:
    """An example trajectory, step by step, and what it was picked to show."""

    shows: str
    trajectory: TrajectoryView
    kind: Literal["example"] = "example"


Block = Chart | Table | Note | Preformatted | Example


@dataclass(frozen=True)
class Section:
    """A section of the report: an anchor, a title, and one column of blocks per dataset
    (two side by side with ``--compare``)."""

    id: str
    title: str
    columns: list[list[Block]] = field(default_factory=list)


def missing(what: str, how: str = "") -> Note:
    """A "not available" note, with how to get it."""
    return Note(f"not available: {what}" + (f" ({how})" if how else ""), missing=True)


def pct(value: float | None) -> str:
    """A share as a percentage, or "-"."""
    return "-" if value is None else f"{value:.1%}"


def num(value: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals, or "-"."""
    return "-" if value is None else f"{value:,.{digits}f}"
