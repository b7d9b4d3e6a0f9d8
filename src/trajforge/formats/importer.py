"""Importers: a reader built from a function that converts one source record to trajectories.

An importer module defines ``convert(record: SourceRecord) -> Iterable[Trajectory]`` (a DFSDT
tree gives several trajectories, a record of another kind none) and, for ``--from auto``,
``detect(data) -> bool`` that says whether a decoded record is of its kind; then

    FORMAT = import_format("tau-bench", "tau-bench result files", convert, detect=detect)

reads ``.json`` (array, object or JSON lines), ``.jsonl``, ``.gz``/``.zst``, Parquet and
directories (see :mod:`trajforge.io.documents`). Each trajectory gets ``provenance.source``
``imported`` (unless the converter chose ``production`` or ``human``), the format's name and the
record's location. A record the converter rejects (a ConversionError with a field path) or
cannot handle goes to ``on_error`` with its location and bytes, and reading goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from trajforge.errors import ConversionError, TrajforgeError
from trajforge.formats.base import Format, Reader, Writer
from trajforge.io import BadRecord, OnError, WriteResult, write_lines
from trajforge.io.documents import DOCUMENT_SUFFIXES, SourceRecord, iter_records
from trajforge.schema import Trajectory, encode
from trajforge.schema.codec import nested_too_deeply

Convert = Callable[[SourceRecord], Iterable[Trajectory]]
"""Turns one source record into trajectories (raises ConversionError with a field path)."""

Detect = Callable[[Any], bool]
"""Says whether a decoded source record is of the format's kind (for ``--from auto``)."""

RecordSource = Callable[[str, OnError | None], Iterable[SourceRecord]]
"""The records of a source (``iter_records`` unless a format reads files of its own kind)."""

#: The file types importers read (compressed variants add .gz or .zst).
IMPORT_SUFFIXES = DOCUMENT_SUFFIXES


def import_format(
    name: str,
    description: str,
    convert: Convert,
    *,
    detect: Detect | None = None,
    write: Writer | None = None,
    records: RecordSource = iter_records,
) -> Format:
    """A registered format whose reader converts source records with ``convert``; ``records``
    reads them for formats with files of their own (inspect_ai's ``.eval`` archives)."""
    return Format(
        name=name,
        description=description,
        suffixes=IMPORT_SUFFIXES,
        read=record_reader(name, convert, records),
        write=write,
        detect=detect,
    )


def record_reader(name: str, convert: Convert, records: RecordSource = iter_records) -> Reader:
    """A reader of the records ``source`` names, converted by ``convert`` (see the module)."""

    def read(source: str, on_error: OnError | None, /) -> Iterator[Trajectory]:
        for record in records(source, on_error):
            try:
                trajectories = list(convert(record))
            except TrajforgeError as err:
                _reject(record, err, on_error)
                continue
            except RecursionError:
                _reject(record, nested_too_deeply(), on_error)
                continue
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                _reject(record, unexpected_shape(exc), on_error)
                continue
            for trajectory in trajectories:
                yield _stamped(trajectory, name, record)

    return read


def record_writer(to_record: Callable[[Trajectory], Any]) -> Writer:
    """A writer of one JSON-lines file of the records ``to_record`` makes (shard options do
    not apply). A trajectory it cannot make a record of goes to the ``on_error`` option, located
    at the trajectory, and the write goes on (without the option, the error is raised)."""

    def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
        on_error: OnError | None = options.get("on_error")
        lines = (line for t in trajectories if (line := _line(t, to_record, on_error)))
        return WriteResult(write_lines(dest, lines), (Path(dest),))

    return write


def _line(
    trajectory: Trajectory, to_record: Callable[[Trajectory], Any], on_error: OnError | None
) -> bytes:
    """The JSON line of a trajectory's record; ``b""`` when it went to ``on_error``."""
    try:
        return msgspec.json.encode(to_record(trajectory))
    except TrajforgeError as err:
        err.located(file=trajectory.provenance.record_location or f"trajectory {trajectory.id}")
        if on_error is None:
            raise
        on_error(BadRecord.from_error(err, raw=encode(trajectory)))
        return b""


def record_id(prefix: str, data: Any) -> str:
    """A trajectory id for a source record without one of its own: ``prefix`` and a hash, so
    the same record always gets the same id.

    The hash (BLAKE2b) is of its canonical JSON (keys sorted): key order and spacing do not
    count.
    """
    canonical = msgspec.json.encode(data, order="sorted")
    return prefix + hashlib.blake2b(canonical, digest_size=16).hexdigest()


def unexpected_shape(exc: BaseException) -> ConversionError:
    """The error for a record whose shape a converter did not expect (a value missing or of
    another type than the format's documentation says)."""
    return ConversionError(
        f"the record does not have the expected shape ({type(exc).__name__}: {exc})",
        hint="check that --from names the record's format",
    )


def _reject(record: SourceRecord, err: TrajforgeError, on_error: OnError | None) -> None:
    bad = record.bad(err)
    if on_error is None:
        raise err
    on_error(bad)


def _stamped(trajectory: Trajectory, name: str, record: SourceRecord) -> Trajectory:
    provenance = trajectory.provenance
    if provenance.source == "synthetic":
        provenance.source = "imported"
    provenance.original_format = provenance.original_format or name
    provenance.record_location = provenance.record_location or record.location
    return trajectory
