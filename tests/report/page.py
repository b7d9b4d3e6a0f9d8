"""Reading a report page in tests: its sections by anchor, and the blocks in each."""

from __future__ import annotations

import re
from pathlib import Path

SECTIONS = (
    "overview",
    "outcomes",
    "steps",
    "tools",
    "faults",
    "labels",
    "process",
    "curation",
    "drift",
    "audit",
    "exports",
    "agreement",
    "examples",
)


def sections(page: str | Path) -> dict[str, str]:
    """Each section's HTML by its id, in page order."""
    text = page.read_text() if isinstance(page, Path) else page
    found = re.findall(r'<section id="([a-z]+)">(.*?)</section>', text, flags=re.S)
    return dict(found)


def missing(section: str) -> list[str]:
    """The "not available" notes of a section."""
    return re.findall(r'<p class="note missing">(.*?)</p>', section)


def table_rows(section: str, caption: str) -> list[list[str]]:
    """The body rows of the table with ``caption`` in a section, as cell texts."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", section, re.S)
    assert table, f"no table {caption!r}"
    body = table.group(1).split("<tbody>")[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
