"""Parquet with nested columns: trajectories in, trajectories out, streaming by row group.

The Arrow schema comes from the record types (see :mod:`trajforge.io.arrow_schema`). Writing
buffers ``row_group_size`` records per row group, so memory stays bounded; reading goes row group
by row group in small batches. Page checksums are written and verified, so corruption is caught.

A row group is buffered as the JSON lines of its rows and turned into Arrow by Arrow's JSON
reader, with the schema given (see :mod:`trajforge.io.arrow_json`): no row stays alive as Python
dicts and lists, which the garbage collector's full passes would walk again and again (with a
whole row group held as dicts, they took most of the time of a conversion, the more so in a
process holding much else).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from trajforge.errors import ConversionError, InputError, IntegrityError, TrajforgeError
from trajforge.io._oserror import read_error, write_error
from trajforge.io.arrow_json import JsonBlockParser
from trajforge.io.arrow_schema import TablePlan, table_plan
from trajforge.io.atomic import AtomicFile, PublishingWriter
from trajforge.io.manifest import check_file_hash
from trajforge.io.parquet_rows import TrajectoryRow, encode_row
from trajforge.io.quarantine import BadRecord, OnError
from trajforge.schema import Trajectory, from_builtins
from trajforge.schema.codec import nested_too_deeply

ROW_GROUP_SIZE: Final = 1000
READ_BATCH_SIZE: Final = 256
COMPRESSION: Final = "zstd"

_ARROW_ERRORS: Final = (pa.ArrowException, OSError)
_CONVERT_ERRORS: Final = (pa.ArrowException, OverflowError, TypeError, ValueError)


def trajectory_plan() -> TablePlan:
    """The Parquet/Arrow plan of :class:`Trajectory` (built once)."""
    return table_plan(Trajectory)


def arrow_schema() -> pa.Schema:
    """The Arrow schema trajectories are stored with."""
    return trajectory_plan().schema


class ParquetFile(PublishingWriter):
    """A Parquet stream into a temporary file, published as ``path`` on :meth:`close` and
    discarded on :meth:`abort`, or when a table cannot be written."""

    def __init__(self, path: Path, schema: pa.Schema, **options: Any) -> None:
        self.path = path
        self._target = AtomicFile(path)
        try:
            self._writer = pq.ParquetWriter(self._target.file, schema, **options)
        except BaseException:
            self._target.abort()
            raise

    def _write_table(self, table: pa.Table) -> None:
        """Write ``table`` as one row group."""
        try:
            self._writer.write_table(table, row_group_size=table.num_rows)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        except BaseException:
            self.abort()
            raise

    def _finish(self) -> None:
        self._writer.close()

    def abort(self) -> None:
        """Discard the partial file."""
        if self._target.done:
            return
        with contextlib.suppress(Exception):  # the file is discarded anyway
            self._writer.close()
        self._target.abort()


class ParquetWriter(ParquetFile):
    """Write trajectories to ``path`` as Parquet, published atomically on :meth:`close`."""

    def __init__(
        self,
        path: str | Path,
        *,
        row_group_size: int = ROW_GROUP_SIZE,
        compression: str = COMPRESSION,
    ) -> None:
        if row_group_size < 1:
            raise ValueError("row_group_size must be at least 1")
        self.count = 0
        self.row_group_size = row_group_size
        self._plan = trajectory_plan()
        self._lines: list[bytes] = []
        self._parser = JsonBlockParser(self._plan.schema, self._plan.always_written)
        # No dictionaries: zstd packs repeated strings as well, and writing is faster without.
        # Statistics only where a reader may filter row groups by them: writing them for every
        # column cost a tenth of the writing.
        super().__init__(
            Path(path),
            self._plan.schema,
            compression=compression,
            use_dictionary=False,
            write_statistics=list(self._plan.filter_columns),
            write_page_checksum=True,
        )

    def write(self, record: Trajectory | TrajectoryRow | bytes) -> None:
        """Append one trajectory (or its row, or its JSON encoding); written out once a row
        group is full."""
        if isinstance(record, TrajectoryRow):
            row: Any = record
        elif isinstance(record, bytes):
            row = self._plan.write_row(msgspec.json.decode(record))
        else:
            row = self._plan.write_row(msgspec.to_builtins(record))
        self._lines.append(encode_row(row))
        self.count += 1
        if len(self._lines) >= self.row_group_size:
            self._flush()

    def _table(self) -> pa.Table:
        try:
            return self._parser.parse(self._lines)
        except _CONVERT_ERRORS:
            pass
        first = self.count - len(self._lines) + 1
        for index, line in enumerate(self._lines):  # find the record Arrow cannot take
            try:
                self._parser.parse_full([line])
            except _CONVERT_ERRORS as exc:
                record_id = msgspec.json.decode(line).get("id")
                raise ConversionError(
                    f"record {first + index} (id {record_id!r}) cannot be stored in Parquet: {exc}",
                    file=str(self.path),
                    hint="integers must fit in 64 bits; JSONL output has no such limit",
                ) from None
        raise AssertionError("a batch failed but every row converts")  # pragma: no cover

    def _flush(self) -> None:
        if not self._lines:
            return
        try:
            table = self._table()
        except BaseException:
            self.abort()
            raise
        self._write_table(table)
        self._lines = []


def write_parquet(
    path: str | Path,
    records: Iterable[Trajectory | TrajectoryRow | bytes],
    *,
    row_group_size: int = ROW_GROUP_SIZE,
) -> int:
    """Write trajectories to a Parquet file atomically; return the count."""
    with ParquetWriter(path, row_group_size=row_group_size) as writer:
        for record in records:
            writer.write(record)
    return writer.count


# ---------------------------------------------------------------- reading


def _open(path: str | Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path, page_checksum_verification=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise read_error(path, exc) from None
    except (*_ARROW_ERRORS, UnicodeDecodeError) as exc:  # a name in the footer not UTF-8
        raise InputError(
            "not a Parquet file, or it is truncated or corrupt",
            file=str(path),
            hint=f"the footer could not be read ({exc})",
        ) from None


def _row_error(err: TrajforgeError, file: str, row: int, group: int) -> TrajforgeError:
    err.located(file=file)
    err.message = f"{err.message} (row {row}, row group {group})"
    return err


def _raw(value: Any) -> bytes:
    try:
        return msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError):
        return repr(value).encode("utf-8", "backslashreplace")


def _convert(read_row: Any, data: dict[str, Any] | InputError) -> Trajectory:
    if isinstance(data, InputError):
        raise data
    try:
        builtins = read_row(data)
    except (msgspec.DecodeError, RecursionError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"cannot convert the row: {exc}") from None
    try:
        return from_builtins(builtins)
    except RecursionError:
        raise nested_too_deeply() from None


def read_parquet(
    path: str | Path, on_error: OnError | None = None, *, sha256: str | None = None
) -> Iterator[Trajectory]:
    """Yield the trajectories of a Parquet file written by :func:`write_parquet`, validated.

    Errors are located InputErrors naming the file, and the row and row group where they apply.
    With ``on_error`` bad rows are reported and skipped; a corrupt row group is reported once and
    skipped; an unreadable footer is reported once and ends the file. A file whose bytes do not
    have the ``sha256`` given (hashed before it is read) raises an IntegrityError whatever
    ``on_error``.
    """
    file = str(path)
    try:
        if sha256 is not None:
            _check_hash(path, sha256)
        pf = _open(path)
        with pf:
            try:
                read_row = trajectory_plan().row_reader(pf.schema_arrow)
            except InputError as err:
                raise err.located(file=file) from None
            yield from _read_groups(pf, file, read_row, on_error)
    except IntegrityError:
        raise
    except InputError as err:
        if on_error is None:
            raise
        on_error(BadRecord.from_error(err))


def _check_hash(path: str | Path, sha256: str) -> None:
    try:
        check_file_hash(path, sha256)
    except OSError as exc:
        raise read_error(path, exc) from None


def _rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any] | InputError]:
    """The rows of a batch as dicts; a row holding a string that is not UTF-8 (which Parquet
    readers do not check) as the error instead."""
    try:
        yield from batch.to_pylist()
        return
    except UnicodeDecodeError:
        pass
    for index in range(batch.num_rows):
        try:
            yield batch.slice(index, 1).to_pylist()[0]
        except UnicodeDecodeError as exc:
            yield InputError(f"a string is not valid UTF-8 ({exc})")


def _read_groups(
    pf: pq.ParquetFile, file: str, read_row: Any, on_error: OnError | None
) -> Iterator[Trajectory]:
    row = 0
    for group in range(pf.num_row_groups):
        start = row
        try:
            for batch in pf.iter_batches(batch_size=READ_BATCH_SIZE, row_groups=[group]):
                for data in _rows(batch):
                    row += 1
                    try:
                        yield _convert(read_row, data)
                    except TrajforgeError as err:
                        _row_error(err, file, row, group)
                        if on_error is None:
                            raise
                        raw = b"" if isinstance(data, InputError) else _raw(data)
                        on_error(BadRecord.from_error(err, raw=raw, row=row))
        except _ARROW_ERRORS as exc:
            broken = InputError(
                f"row group {group} is corrupt: {exc}",
                file=file,
                hint="the file is damaged; rows in other row groups may still be readable",
            )
            if on_error is None:
                raise broken from None
            on_error(BadRecord.from_error(broken))
        row = start + pf.metadata.row_group(group).num_rows
