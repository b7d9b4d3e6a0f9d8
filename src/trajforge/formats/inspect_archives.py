"""inspect_ai eval logs as records: one per sample, read as JSON without the inspect_ai package.

A log is written two ways: a ``.json`` file holding one object ``{version, status, eval, plan,
results, stats, samples, ...}``, or a ``.eval`` file, a ZIP archive with the same object less its
samples in ``header.json`` (``_journal/start.json`` while the run is unfinished) and each sample in
``samples/<id>_epoch_<n>.json``. Either way each sample is one record, ``{...the log's keys,
"samples": [sample]}`` at ``log.json[i]`` / ``log.eval[i]`` (the i-th sample, archives in natural
order of their member names), so that a broken sample is set aside alone and memory holds one
sample at a time of an archive.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.errors import InputError, TrajforgeError
from trajforge.io import BadRecord, OnError
from trajforge.io.documents import SourceRecord, document_paths, iter_records

ARCHIVE_SUFFIX: Final = ".eval"
HEADERS: Final = ("header.json", "_journal/start.json")
_DIGITS: Final = re.compile(r"(\d+)")


def log_records(spec: str, on_error: OnError | None) -> Iterator[SourceRecord]:
    """The sample records of every log ``spec`` names (a file, glob or directory)."""
    for path in document_paths(spec, also=(ARCHIVE_SUFFIX,)):
        if path.name.lower().endswith(ARCHIVE_SUFFIX):
            yield from _archive_records(path, on_error)
        else:
            for record in iter_records(path, on_error):
                yield from _sample_records(record)


def _sample_records(record: SourceRecord) -> Iterator[SourceRecord]:
    """A log object's samples as records of their own (anything else as it is)."""
    data = record.data
    if not (isinstance(data, dict) and isinstance(data.get("samples"), list)):
        yield record
        return
    header = {key: value for key, value in data.items() if key != "samples"}
    for index, sample in enumerate(data["samples"]):
        yield SourceRecord({**header, "samples": [sample]}, record.file, item=index)


def _archive_records(path: Path, on_error: OnError | None) -> Iterator[SourceRecord]:
    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            header = _header(archive, file)
            names = sorted(
                (n for n in archive.namelist() if n.startswith("samples/") and n.endswith(".json")),
                key=_natural,
            )
            for index, name in enumerate(names):
                raw = archive.read(name)
                try:
                    sample = msgspec.json.decode(raw)
                except (msgspec.DecodeError, RecursionError) as exc:
                    _report(
                        InputError(f"{name} is not valid JSON ({exc})", file=file), raw, on_error
                    )
                    continue
                yield SourceRecord({**header, "samples": [sample]}, file, item=index, raw=raw)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        error = InputError(
            f"not a readable .eval log ({exc})",
            file=file,
            hint="a .eval log is a ZIP archive written by inspect_ai",
        )
        _report(error, b"", on_error)
    except TrajforgeError as err:
        _report(err, b"", on_error)


def _header(archive: zipfile.ZipFile, file: str) -> dict[str, Any]:
    """The log's own keys: header.json, or the journal's start record of an unfinished run."""
    for name in HEADERS:
        if name in archive.namelist():
            try:
                header = msgspec.json.decode(archive.read(name))
            except msgspec.DecodeError as exc:
                raise InputError(f"{name} is not valid JSON ({exc})", file=file) from None
            if isinstance(header, dict):
                return header
    raise InputError("no header.json in the archive", file=file)


def _natural(name: str) -> list[Any]:
    """A sort key that orders ``samples/2_epoch_1.json`` before ``samples/10_epoch_1.json``."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name)]


def _report(err: TrajforgeError, raw: bytes, on_error: OnError | None) -> None:
    if on_error is None:
        raise err
    on_error(BadRecord.from_error(err, raw=raw))
