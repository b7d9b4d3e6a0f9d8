"""Source records of other tools' datasets: JSON values read from files as public datasets ship.

Importers read *records*, not trajectories: one JSON value each, with where it was. A source is a
file, a glob or a directory (walked recursively, hidden files skipped), and each file is read by
its suffix (``.gz``/``.zst`` decompressed first):

- ``.jsonl``/``.ndjson``: one record per non-blank line;
- ``.json``: a JSON array gives one record per element, streamed with ijson when the file is
  large (memory stays flat however long the array); one object is one record; JSON lines under a
  ``.json`` name (a complete value on the first line, more after it) are read as ``.jsonl``;
- ``.parquet``: one record per row.

A record that cannot be decoded is reported to ``on_error`` as a located ``BadRecord`` (line,
array element or row) and reading goes on; a file broken past its first bad byte ends there. A
compressed stream that breaks after giving records raises an IntegrityError even with
``on_error`` (see :mod:`trajforge.io.integrity`). A record that repeats a key in an object keeps
the last value, or is refused when the checks in force ask for unique keys (not in arrays
streamed with ijson).
"""

from __future__ import annotations

import codecs
import glob
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, NamedTuple

import msgspec

from trajforge.errors import ConfigError, InputError, IntegrityError, TrajforgeError
from trajforge.io._oserror import read_error
from trajforge.io.checks import read_checks
from trajforge.io.compression import DECOMPRESSION_ERRORS, open_read
from trajforge.io.integrity import stream_error
from trajforge.io.jsonl import iter_lines
from trajforge.io.quarantine import BadRecord, OnError
from trajforge.schema.codec import nested_too_deeply, refuse_repeated_keys, syntax_error

#: Suffixes of the files importers read (compressed variants add .gz or .zst).
DOCUMENT_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".parquet")
#: A .json file larger than this is streamed element by element instead of decoded at once.
STREAM_ABOVE: Final = 64 << 20
_GLOB_CHARS: Final = frozenset("*?[")
_COLUMN: Final = re.compile(r"\(column (\d+)\)")


class SourceRecord(NamedTuple):
    """One record of a source file: the decoded JSON value and where it was.

    ``line`` is set for JSON lines (1-based), ``item`` for array elements and Parquet rows
    (0-based); ``raw`` is the record's bytes, for the quarantine (and a line's whole record where
    the reader left it undecoded: ``data`` is then None, see :func:`iter_records`).
    """

    data: Any
    file: str
    line: int | None = None
    item: int | None = None
    raw: bytes = b""

    @property
    def location(self) -> str:
        """Where the record is: ``a.jsonl:3``, ``a.json[5]`` or ``a.json``."""
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.item is not None:
            return f"{self.file}[{self.item}]"
        return self.file

    def bad(self, err: TrajforgeError) -> BadRecord:
        """The BadRecord for this record failing with ``err``."""
        err.located(file=self.file, line=self.line)
        if self.item is not None and self.line is None:
            err.path = f"[{self.item}]" + (f".{err.path}" if err.path else "")
        return BadRecord.from_error(err, raw=self.raw or _encode(self.data))


def suffix_of(path: str | Path) -> str | None:
    """The document suffix of a file name (``.json`` for ``a.json.gz``), or None."""
    name = Path(path).name.lower()
    for compressed in (".gz", ".zst"):
        name = name.removesuffix(compressed)
    return next((s for s in DOCUMENT_SUFFIXES if name.endswith(s) and len(name) > len(s)), None)


def document_paths(spec: str | Path, also: tuple[str, ...] = ()) -> list[Path]:
    """The files ``spec`` names: a file, a glob (sorted) or a directory (recursive, sorted);
    ``also`` names suffixes a format reads beside the document ones (``.eval``)."""
    path = Path(spec)

    def known(p: Path) -> bool:
        return suffix_of(p) is not None or p.name.lower().endswith(also)

    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and known(p)
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            raise ConfigError("no data files in the directory", file=str(path), hint=_hint())
        return found
    if path.exists():
        if not known(path):
            raise ConfigError(
                f"unknown file type {''.join(path.suffixes) or '(no suffix)'}",
                file=str(path),
                hint=_hint(),
            )
        return [path]
    if not _GLOB_CHARS & set(str(spec)):
        raise ConfigError("no such file or directory", file=str(spec))
    matches = [Path(m) for m in sorted(glob.glob(str(spec), recursive=True))]
    found = [m for m in matches if m.is_file() and known(m)]
    if not found:
        raise ConfigError("no data files match the pattern", file=str(spec), hint=_hint())
    return found


def iter_records(
    spec: str | Path, on_error: OnError | None = None, *, lines_decoded: bool = True
) -> Iterator[SourceRecord]:
    """Stream the records of every file ``spec`` names (see the module docstring); the files,
    and the checks in force, are taken at call time.

    Without ``on_error`` the first bad record raises its located error. ``lines_decoded=False``
    leaves JSON lines to a converter that decodes ``raw`` itself, straight into its own types
    (``data`` None; malformed lines are then its to reject), unless the checks in force refuse
    repeated keys.
    """
    unique_keys = read_checks().unique_keys
    decode = lines_decoded or unique_keys
    return _records(document_paths(spec), on_error, unique_keys=unique_keys, decode=decode)


def undecoded_lines(spec: str, on_error: OnError | None, /) -> Iterator[SourceRecord]:
    """:func:`iter_records` with JSON lines left undecoded, for an importer's ``records``."""
    return iter_records(spec, on_error, lines_decoded=False)


def _records(
    paths: list[Path], on_error: OnError | None, *, unique_keys: bool, decode: bool
) -> Iterator[SourceRecord]:
    for path in paths:
        suffix = suffix_of(path)
        if suffix == ".parquet":
            yield from _parquet_records(path, on_error)
        elif suffix == ".json" and not _looks_like_lines(path):
            yield from _document_records(path, on_error, unique_keys)
        elif decode:
            yield from _line_records(path, on_error, unique_keys)
        else:
            yield from (
                SourceRecord(None, file, line, None, data)  # positional: the hot path
                for file, line, data in iter_lines(path, on_error)
            )


def _report(err: TrajforgeError, on_error: OnError | None, raw: bytes = b"") -> None:
    if on_error is None or isinstance(err, IntegrityError):
        raise err
    on_error(BadRecord.from_error(err, raw=raw))


def _line_records(
    path: Path, on_error: OnError | None, unique_keys: bool
) -> Iterator[SourceRecord]:
    for line in iter_lines(path, on_error):
        try:
            data = decode_json(line.data, unique_keys)
        except InputError as err:
            _report(err.located(file=line.file, line=line.line), on_error, line.data)
            continue
        yield SourceRecord(data, line.file, line=line.line, raw=line.data)


def _looks_like_lines(path: Path) -> bool:
    """Whether a .json file holds JSON lines: its first line is a whole value and more follows."""
    try:
        with open_read(path) as stream:
            first = stream.readline(1 << 20).removeprefix(codecs.BOM_UTF8)
            rest = stream.read(4096)
    except (*DECOMPRESSION_ERRORS,):
        return False  # the reader that follows reports it
    if not first.strip() or first.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        msgspec.json.decode(first)
    except (msgspec.DecodeError, RecursionError):
        return False
    return bool(rest.strip())


def _document_records(
    path: Path, on_error: OnError | None, unique_keys: bool
) -> Iterator[SourceRecord]:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > STREAM_ABOVE and _first_byte(path) == b"[":
            yield from _streamed_array(path, on_error)
            return
        with open_read(path) as stream:
            text = stream.read().removeprefix(codecs.BOM_UTF8)
    except OSError as exc:
        _report(read_error(path, exc), on_error)
        return
    except DECOMPRESSION_ERRORS as exc:
        _report(stream_error(file, exc), on_error)
        return
    try:
        data = decode_json(text, unique_keys)
    except InputError as err:
        _report(_at_line(err, text).located(file=file), on_error, text[: 1 << 16])
        return
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield SourceRecord(item, file, item=index)
    else:
        yield SourceRecord(data, file)


def _at_line(err: InputError, text: bytes) -> InputError:
    """The error of a multi-line document at its line and column instead of a byte column."""
    found = _COLUMN.search(err.message)
    if found is None:
        return err
    offset = int(found.group(1)) - 1
    line = text.count(b"\n", 0, offset) + 1
    column = offset - (text.rfind(b"\n", 0, offset) + 1) + 1
    err.message = _COLUMN.sub(f"(column {column})", err.message)
    err.line = line
    return err


def _first_byte(path: Path) -> bytes:
    with open_read(path) as stream:
        head = stream.read(1024).removeprefix(codecs.BOM_UTF8)
    return head.lstrip()[:1]


def _streamed_array(path: Path, on_error: OnError | None) -> Iterator[SourceRecord]:
    import ijson  # noqa: PLC0415 - only huge arrays need it

    file = str(path)
    count = 0
    try:
        with open_read(path) as stream:
            for item in ijson.items(stream, "item", use_float=True):
                yield SourceRecord(item, file, item=count)
                count += 1
    except ijson.JSONError as exc:
        last = max(count - 1, 0)
        _report(InputError(f"malformed JSON after element {last}: {exc}", file=file), on_error)
    except DECOMPRESSION_ERRORS as exc:
        read = f"elements 0-{count - 1}" if count else None
        _report(stream_error(file, exc, read=read), on_error)


def _parquet_records(path: Path, on_error: OnError | None) -> Iterator[SourceRecord]:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    file = str(path)
    row = 0
    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=1024):
            for record in batch.to_pylist():
                yield SourceRecord(record, file, item=row)
                row += 1
    except OSError as exc:
        _report(read_error(path, exc), on_error)
    except (pa.ArrowException, UnicodeDecodeError, ValueError) as exc:
        _report(InputError(f"not a readable Parquet file at row {row}: {exc}", file=file), on_error)


def decode_json(data: bytes, unique_keys: bool = False) -> Any:
    """One JSON value of a source; a located-ready InputError where it is malformed or nests too
    deeply, or (``unique_keys``) repeats a key in an object."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise syntax_error(exc) from None
    except RecursionError:
        raise nested_too_deeply() from None
    if unique_keys:
        refuse_repeated_keys(data)
    return value


def without_nulls(value: Any) -> Any:
    """``value`` with the ``null`` members of its objects dropped, at every depth (elements of
    arrays stay): a table's null-filled columns read as the objects they were written from."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def from_table(record: SourceRecord) -> bool:
    """Whether a record is a row of a table (Parquet), whose absent keys read as nulls."""
    return suffix_of(record.file) == ".parquet"


def _encode(data: Any) -> bytes:
    try:
        return msgspec.json.encode(data)
    except (TypeError, ValueError, OverflowError):
        return repr(data).encode("utf-8", "replace")


def _hint() -> str:
    return "importers read: " + ", ".join(DOCUMENT_SUFFIXES) + " (also .gz, .zst), directories"
