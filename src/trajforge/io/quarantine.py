"""Bad records: what a reader reports when ``on_error`` is given, and a file sink for them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

import msgspec

from trajforge.errors import TrajforgeError
from trajforge.io._oserror import write_error
from trajforge.io.atomic import AtomicFile, KeepOrDiscard
from trajforge.io.compression import compression_of, wrap_writer


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read: where it was, why, and its raw bytes.

    ``line`` is set for JSONL (1-based), ``row`` for Parquet (1-based over the file); ``error``
    is the message with its field path (``steps[0].actions[1].name: expected string...``).
    ``raw`` is the line as read (for Parquet: the row as JSON; empty when nothing could be read).
    """

    file: str
    error: str
    raw: bytes = b""
    line: int | None = None
    row: int | None = None
    path: str | None = None
    hint: str | None = None

    @classmethod
    def from_error(
        cls, err: TrajforgeError, *, raw: bytes = b"", row: int | None = None
    ) -> BadRecord:
        """Build a BadRecord from a located error (``err.file`` must be set)."""
        message = f"{err.path}: {err.message}" if err.path else err.message
        return cls(
            file=err.file or "",
            error=message,
            raw=raw,
            line=err.line,
            row=row,
            path=err.path,
            hint=err.hint,
        )

    def describe(self) -> str:
        """Where it is and why, in one line: ``line 2 of runs/a.jsonl: malformed JSON ...``."""
        if self.row is not None:
            return f"row {self.row} of {self.file}: {self.error}"
        if self.line is not None:
            return f"line {self.line} of {self.file}: {self.error}"
        return f"{self.file}: {self.error}"

    def to_json(self) -> bytes:
        """One quarantine line (no newline): raw text, or ``raw_base64`` if it is not UTF-8."""
        doc: dict[str, Any] = {"file": self.file}
        if self.row is not None:
            doc["row"] = self.row
        else:
            doc["line"] = self.line
        doc["error"] = self.error
        try:
            doc["raw"] = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            doc["raw_base64"] = base64.b64encode(self.raw).decode("ascii")
        return msgspec.json.encode(doc)


OnError: TypeAlias = Callable[[BadRecord], None]
"""Callback for bad records; when given, readers report and continue instead of raising."""


class Quarantine(KeepOrDiscard):
    """A JSONL sink for bad records, created only when the first one arrives, published atomically.

    Use as a context manager and pass ``quarantine.add`` as a reader's ``on_error``. On a clean
    exit the file is published; if the block raises, nothing is written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._target: AtomicFile | None = None
        self._out: BinaryIO | None = None

    def add(self, bad: BadRecord) -> None:
        """Record one bad record."""
        if self._out is None:
            self._target = AtomicFile(self.path)
            self._out = wrap_writer(self._target.file, compression_of(self.path))
        try:
            self._out.write(bad.to_json() + b"\n")
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        self.count += 1

    __call__ = add

    def close(self) -> None:
        """Publish the file (if anything was added)."""
        if self._out is not None and self._target is not None:
            try:
                self._out.close()
            except OSError as exc:
                self.abort()
                raise write_error(self.path, exc) from exc
            self._target.commit()

    def abort(self) -> None:
        """Discard whatever was added."""
        if self._target is not None:
            self._target.abort()
