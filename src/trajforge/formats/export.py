"""An export: trajectories read in one format, written by another format's writer, and a dataset
card beside them (``trajforge export FORMAT IN OUT``).

``OUT`` with a suffix is a file, and the card goes to ``OUT.card.md``. ``OUT`` without one (or an
existing directory) is a Hugging Face dataset directory: the data goes to ``OUT/data/train.jsonl``
(else ``train`` with the first suffix of a format that writes no JSON lines: ``.parquet`` for
``tokenized``, ``.json`` for ``tau2-bench``'s one results object) and the card, whose front
matter names that file (and, for one JSON object, the key of its rows), to ``OUT/README.md``, so
that ``datasets.load_dataset(OUT)`` reads it (where Arrow can hold its values: the card says how
to load it otherwise). Everything streams: the reader feeds the writer through the card's
counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from trajforge.engine.reading import reader
from trajforge.formats.base import Format
from trajforge.formats.card import CardFacts, CardStats, render_card
from trajforge.formats.export_options import ExportOptions, checked_writer_options
from trajforge.formats.registry import get_format, get_writer
from trajforge.io import BadRecord, OnError, WriteResult, check_destination
from trajforge.io.atomic import atomic_write

DATA_STEM: Final = Path("data") / "train"
#: The data file's suffix in a dataset directory: JSON lines where the format writes them.
ROWS_SUFFIX: Final = ".jsonl"
CARD_NAME: Final = "README.md"
CARD_SUFFIX: Final = ".card.md"


@dataclass(frozen=True)
class ExportTarget:
    """Where an export's data and card go."""

    data: Path
    card: Path
    directory: bool


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote, what it read, and how many records it set aside."""

    written: WriteResult
    target: ExportTarget
    stats: CardStats
    set_aside: int


def export_target(dest: str, suffix: str = ROWS_SUFFIX) -> ExportTarget:
    """The data file and card path of ``dest`` (see the module); a dataset directory's data file
    ends in ``suffix``."""
    path = Path(dest)
    if path.is_dir() or not path.suffix:
        data = path / DATA_STEM.with_suffix(suffix)
        return ExportTarget(data, path / CARD_NAME, directory=True)
    return ExportTarget(path, path.with_name(path.name + CARD_SUFFIX), directory=False)


def data_suffix(fmt: Format) -> str:
    """The suffix of a format's data file in a dataset directory: ``.jsonl`` where it writes JSON
    lines, else the first it names (``.parquet`` for ``tokenized``, ``.json`` for
    ``tau2-bench``)."""
    if ROWS_SUFFIX in fmt.suffixes or not fmt.suffixes:
        return ROWS_SUFFIX
    return fmt.suffixes[0]


class _Counting:
    """An ``on_error`` that counts the bad records it passes on."""

    def __init__(self, on_error: OnError | None) -> None:
        self.on_error = on_error
        self.count = 0

    def __call__(self, bad: BadRecord) -> None:
        self.count += 1
        if self.on_error is not None:
            self.on_error(bad)


def export_dataset(
    format_name: str,
    source: str,
    dest: str,
    *,
    from_format: str = "trajforge",
    options: ExportOptions | None = None,
    writer_options: Mapping[str, Any] | None = None,
    on_error: OnError | None = None,
) -> ExportResult:
    """Export ``source`` (read as ``from_format``) to ``dest`` in ``format_name``, with its card.

    ``writer_options`` are the options of that format's own writer (``tokenizer`` for
    ``tokenized``...), checked against those it takes. Bad input records, and trajectories the
    format cannot render, go to ``on_error`` (without it, the first one raises its located
    error).
    """
    options = options or ExportOptions()
    write = get_writer(format_name, option="FORMAT")
    fmt = get_format(format_name, option="FORMAT")
    own = checked_writer_options(fmt, writer_options or {})
    read = reader(from_format)  # decoded by the workers of a distributed engine in force
    target = export_target(dest, data_suffix(fmt))
    for path in (target.data, target.card):
        check_destination(path, source, option="OUT")
    stats = CardStats(options)
    bad = _Counting(on_error)
    handler = bad if on_error is not None else None
    if target.directory:
        target.data.parent.mkdir(parents=True, exist_ok=True)
    written = write(
        str(target.data),
        stats.observe_all(read(source, handler)),
        export=options,
        on_error=handler,
        **own,
    )
    data_file = (
        target.data.relative_to(target.card.parent).as_posix()
        if target.directory
        else target.data.name
    )
    facts = CardFacts(
        format_name=format_name,
        source=source,
        from_format=from_format,
        data_file=data_file,
        directory=target.directory,
        rows=written.count,
        set_aside=bad.count,
        details=written.details,
        writer_options=own,
        rows_field=fmt.rows_field,
    )
    with atomic_write(target.card) as file:
        file.write(render_card(facts, stats).encode())
    return ExportResult(written, target, stats, bad.count)
