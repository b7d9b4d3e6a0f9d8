"""Which data files trajforge reads and writes, recognized by suffix."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, get_args

DataFormat = Literal["jsonl", "jsonl.gz", "jsonl.zst", "parquet"]
"""A data file format, named by its suffix without the leading dot."""

FORMATS: Final[tuple[DataFormat, ...]] = get_args(DataFormat)
SUPPORTED_SUFFIXES: Final[tuple[str, ...]] = tuple(f".{f}" for f in FORMATS)


def format_of(path: str | Path) -> DataFormat | None:
    """The data format a file name ends with (case-insensitive), or None."""
    name = Path(path).name.lower()
    for fmt in sorted(FORMATS, key=len, reverse=True):  # .jsonl.gz before .jsonl
        if name.endswith(f".{fmt}") and len(name) > len(fmt) + 1:
            return fmt
    return None


def supported_hint() -> str:
    """A hint listing the supported suffixes."""
    return "supported: " + ", ".join(SUPPORTED_SUFFIXES)
