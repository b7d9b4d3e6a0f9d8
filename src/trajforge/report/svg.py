"""Static SVG charts for the HTML report: horizontal bars, stacked bars, columns and lines.

Each chart is a ``Markup`` string ready to inline in the page (no script, no library). Every
text that comes from the data is escaped here; every mark drawn for a datum has the class
``mark`` and a ``<title>`` giving its value, so the browser shows it on hover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from markupsafe import Markup, escape

#: Colours of series and categories, in order (Okabe–Ito, readable by colour-blind people).
PALETTE: Final = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#999999",
)
#: Fixed colours of the outcome statuses, so every chart agrees.
STATUS_COLOURS: Final = {
    "success": "#009E73",
    "partial": "#E69F00",
    "failure": "#D55E00",
    "unknown": "#999999",
}
_ROW: Final = 22
_LABEL: Final = 200
_WIDTH: Final = 640


def colour(key: str, index: int) -> str:
    """The colour of a category: its status colour, else the palette's ``index``-th."""
    return STATUS_COLOURS.get(key, PALETTE[index % len(PALETTE)])


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "") -> str:
    extra = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str) -> str:
    return (
        f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" '
        f'height="{h:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>'
    )


def bars(
    rows: Sequence[tuple[str, float]], title: str, *, percent: bool = False, width: int = _WIDTH
) -> Markup:
    """One horizontal bar per row, its value written after it."""
    top = max((value for _, value in rows), default=0) or 1
    span = width - _LABEL - 70
    body = []
    for i, (name, value) in enumerate(rows):
        y = 6 + i * _ROW
        shown = f"{value:.0%}" if percent else f"{value:,.4g}"
        body.append(_text(_LABEL - 6, y + 14, _clip(name), "end"))
        body.append(
            _rect(_LABEL, y + 2, span * value / top, _ROW - 6, PALETTE[0], f"{name}: {shown}")
        )
        body.append(_text(_LABEL + span * value / top + 4, y + 14, shown, css="value"))
    return _svg(width, 12 + len(rows) * _ROW, title, body)


def stacked(
    rows: Sequence[tuple[str, Mapping[str, float]]], keys: Sequence[str], title: str
) -> Markup:
    """One horizontal bar per row, split into its shares of ``keys``, with a legend."""
    span = _WIDTH - _LABEL - 20
    body = _legend(keys, 4)
    for i, (name, parts) in enumerate(rows):
        y = 28 + i * _ROW
        total = sum(parts.values()) or 1
        x = float(_LABEL)
        body.append(_text(_LABEL - 6, y + 14, _clip(name), "end"))
        for j, key in enumerate(keys):
            count = parts.get(key, 0)
            if count:
                width = span * count / total
                tip = f"{name}, {key}: {count:,.4g} ({count / total:.0%})"
                body.append(_rect(x, y + 2, width, _ROW - 6, colour(key, j), tip))
                x += width
    return _svg(_WIDTH, 34 + len(rows) * _ROW, title, body)


def _legend(keys: Sequence[str], y: float) -> list[str]:
    body, x = [], float(_LABEL)
    for j, key in enumerate(keys):
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{colour(key, j)}"/>'
        )
        body.append(_text(x + 14, y + 9, _clip(key, 22), css="legend"))
        x += 24 + 7 * min(len(key), 22)
    return body


def columns(
    bins: Sequence[tuple[str, float]], title: str, *, x_label: str, width: int = _WIDTH
) -> Markup:
    """A histogram: one column per bin, labelled under it (every few when there are many)."""
    height, base, left = 180, 150, 50
    n = max(len(bins), 1)
    step = (width - left - 10) / n
    top = max((value for _, value in bins), default=0) or 1
    every = max(1, -(-n // max(4, width // 40)))
    body = [_axis(left, base, width - 10, top, 10)]
    for i, (name, value) in enumerate(bins):
        h = (base - 10) * value / top
        x = left + i * step
        body.append(
            _rect(x + 1, base - h, step - 2, h, PALETTE[0], f"{x_label} {name}: {value:,.4g}")
        )
        if i % every == 0:
            body.append(_text(x + step / 2, base + 14, name, "middle", "tick"))
    body.append(_text(left + (width - left) / 2, height - 4, x_label, "middle", "axis"))
    return _svg(width, height, title, body)


def _axis(left: float, base: float, right: float, top: float, top_y: float = 14) -> str:
    """The x axis, with the y axis's 0 and ``top`` (at ``top_y``) written beside it."""
    return (
        f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" class="axis"/>'
        + _text(left - 4, base, "0", "end", "tick")
        + _text(left - 4, top_y + 4, f"{top:,.4g}", "end", "tick")
    )


def lines(
    series: Mapping[str, Sequence[tuple[int, float]]], title: str, *, x_label: str, y_max: float = 1
) -> Markup:
    """One line per series over integer x (a point per value), y from 0 to ``y_max``."""
    height, base, left, top = 230, 190, 50, 28
    last = max((x for points in series.values() for x, _ in points), default=0) or 1
    sx = (_WIDTH - left - 20) / last
    sy = (base - top) / (y_max or 1)
    body = [_axis(left, base, _WIDTH - 10, y_max, top), *_legend(list(series), 2)]
    for j, (name, points) in enumerate(series.items()):
        fill = colour(name, j)
        coords = " ".join(f"{left + x * sx:.1f},{base - y * sy:.1f}" for x, y in points)
        body.append(f'<polyline points="{coords}" fill="none" stroke="{fill}" stroke-width="2"/>')
        for x, y in points:
            body.append(
                f'<circle class="mark" cx="{left + x * sx:.1f}" cy="{base - y * sy:.1f}" r="3" '
                f'fill="{fill}"><title>{escape(f"{name}, {x_label} {x}: {y:.2f}")}</title></circle>'
            )
    for x in range(0, last + 1, max(1, -(-last // 12))):
        body.append(_text(left + x * sx, base + 14, str(x), "middle", "tick"))
    body.append(_text(left + (_WIDTH - left) / 2, height - 4, x_label, "middle", "axis"))
    return _svg(_WIDTH, height, title, body)


def _clip(text: str, limit: int = 29) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
