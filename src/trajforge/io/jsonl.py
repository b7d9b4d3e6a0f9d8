"""Streaming JSONL (plain, .gz, .zst): read lines and trajectories, write lines atomically."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple, Protocol, TypeVar

from trajforge.errors import InputError, IntegrityError, TrajforgeError
from trajforge.io._oserror import read_error, write_error
from trajforge.io.atomic import AtomicFile, PublishingWriter
from trajforge.io.compression import (
    DECOMPRESSION_ERRORS,
    READ_BUFFER,
    compression_of,
    open_read,
    wrap_reader,
    wrap_writer,
)
from trajforge.io.integrity import HashingReader, stream_error
from trajforge.io.parquet_rows import TrajectoryRow, encode_row_json
from trajforge.io.quarantine import BadRecord, OnError
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

_FLUSH_AT: Final = 1 << 20
_T_co = TypeVar("_T_co", covariant=True)


class LineDecoder(Protocol[_T_co]):
    """Decodes one JSON line into a record; errors are TrajforgeErrors."""

    def decode(self, data: bytes) -> _T_co:
        """The record of ``data``."""
        ...


class RawLine(NamedTuple):
    """One non-blank line of a file, without its line ending; ``line`` is 1-based."""

    file: str
    line: int
    data: bytes


def iter_lines(
    path: str | Path, on_error: OnError | None = None, *, sha256: str | None = None
) -> Iterator[RawLine]:
    """Yield the non-blank lines of a plain, .gz or .zst file, one at a time.

    Memory is bounded by the longest line. Line endings (``\\n`` or ``\\r\\n``) and a UTF-8
    byte order mark at the start of the file are removed. A file that cannot be read, or a
    truncated or corrupt compressed stream, raises a located InputError naming the line being read
    when it broke (an empty compressed file, without even a header, counts as truncated; an empty
    plain file simply has no lines). With ``on_error`` that error is reported as one BadRecord
    and the file ends; but a compressed stream that breaks after giving lines, and a file whose
    bytes do not have the ``sha256`` given (checked as they are read), raise an IntegrityError
    whatever ``on_error`` (see :mod:`trajforge.io.integrity`).
    """
    try:
        yield from _lines(path, sha256)
    except IntegrityError:
        raise
    except InputError as err:
        if on_error is None:
            raise
        on_error(BadRecord.from_error(err))


def _open(path: str | Path, sha256: str | None) -> tuple[BinaryIO, HashingReader | None]:
    """The decompressed stream of ``path``, and what hashes its bytes when ``sha256`` is given."""
    if sha256 is None:
        return open_read(path), None
    hashed = HashingReader(path, sha256)
    return wrap_reader(io.BufferedReader(hashed, READ_BUFFER), compression_of(path)), hashed


def _lines(path: str | Path, sha256: str | None) -> Iterator[RawLine]:
    file = str(path)
    compressed = compression_of(path) != "none"
    lineno = 0
    try:
        stream, hashed = _open(path, sha256)
    except OSError as exc:
        raise read_error(path, exc) from None
    with stream:
        try:
            if compressed and Path(path).stat().st_size == 0:
                raise EOFError("the file is empty")
            for chunk in stream:
                lineno += 1
                if chunk.isspace():
                    continue
                if chunk.endswith(b"\n"):
                    chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]  # noqa: PLW2901
                if lineno == 1 and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8) :]  # noqa: PLW2901
                    if not chunk or chunk.isspace():
                        continue
                yield RawLine(file, lineno, chunk)
        except DECOMPRESSION_ERRORS as exc:
            if not compressed and isinstance(exc, OSError):
                raise read_error(path, exc).located(line=lineno + 1) from None
            read = f"lines 1-{lineno}" if lineno else None
            raise stream_error(file, exc, line=lineno + 1, read=read) from None
        if hashed is not None:
            try:
                hashed.check()
            except OSError as exc:
                raise read_error(path, exc) from None


def read_jsonl(
    path: str | Path,
    on_error: OnError | None = None,
    *,
    sha256: str | None = None,
    unique_keys: bool = False,
) -> Iterator[Trajectory]:
    """Yield the trajectories of a JSONL file (plain, .gz or .zst), validated.

    Without ``on_error`` the first bad line raises a located InputError/SchemaError. With it, bad
    lines are reported and skipped; an unreadable file or a broken compressed stream is reported
    once and ends the file (but see :func:`iter_lines` for integrity errors). ``unique_keys``
    refuses a record that repeats a key in an object (otherwise the last one wins).
    """
    decoder = TrajectoryDecoder(unique_keys=unique_keys)
    return decode_lines(iter_lines(path, on_error, sha256=sha256), decoder, on_error)


def decode_lines(
    lines: Iterable[RawLine], decoder: LineDecoder[_T_co], on_error: OnError | None
) -> Iterator[_T_co]:
    """The records ``decoder`` makes of ``lines``: an error is located at its line, and raised
    or (with ``on_error``) reported and skipped."""
    for raw in lines:
        try:
            yield decoder.decode(raw.data)
        except TrajforgeError as err:
            err.located(file=raw.file, line=raw.line)
            if on_error is None:
                raise
            on_error(BadRecord.from_error(err, raw=raw.data))


class LineWriter(PublishingWriter):
    """Write lines to ``path`` (compressed by suffix), published atomically on :meth:`close`.

    Each item is one line without its newline; the writer appends ``\\n``. On an exception
    inside a ``with`` block the partial file is discarded.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._target = AtomicFile(self.path)
        self._out: BinaryIO = wrap_writer(self._target.file, compression_of(self.path))
        self._buffer = bytearray()

    def write_line(self, line: bytes) -> None:
        """Append one line (which must not contain a newline)."""
        if b"\n" in line:
            raise ValueError("a JSONL line must not contain a newline")
        buffer = self._buffer
        buffer += line
        buffer += b"\n"
        self.count += 1
        if len(buffer) >= _FLUSH_AT:
            self._flush()

    def write(self, record: Trajectory | TrajectoryRow | bytes) -> None:
        """Append one trajectory (or its Parquet row, or its JSON encoding) as a compact JSON
        line."""
        self.write_line(_json_line(record))

    def _flush(self) -> None:
        try:
            self._out.write(self._buffer)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        self._buffer.clear()

    def _finish(self) -> None:
        self._out.close()


def write_lines(path: str | Path, lines: Iterable[bytes]) -> int:
    """Write byte lines (each without its newline) atomically; return how many were written."""
    with LineWriter(path) as writer:
        for line in lines:
            writer.write_line(line)
    return writer.count


def _json_line(record: Trajectory | TrajectoryRow | bytes) -> bytes:
    if isinstance(record, bytes):
        return record
    return encode_row_json(record) if isinstance(record, TrajectoryRow) else encode(record)


def write_jsonl(path: str | Path, records: Iterable[Trajectory | TrajectoryRow | bytes]) -> int:
    """Write trajectories (or their Parquet rows, or their JSON encodings) as JSONL (compressed
    by suffix) atomically; return the count."""
    return write_lines(path, map(_json_line, records))
