"""Turn operating-system errors into trajforge errors that name the file."""

from __future__ import annotations

from pathlib import Path

from trajforge.errors import InputError, TrajforgeError


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def read_error(path: str | Path, exc: OSError) -> InputError:
    """An InputError for a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError("no such file", file=str(path))
    if isinstance(exc, IsADirectoryError):
        return InputError("is a directory, not a data file", file=str(path))
    return InputError(f"cannot read: {_reason(exc)}", file=str(path))


def write_error(path: str | Path, exc: OSError) -> TrajforgeError:
    """A TrajforgeError for a file that cannot be written."""
    hint = None
    if isinstance(exc, FileNotFoundError):
        hint = "the directory does not exist"
    return TrajforgeError(f"cannot write: {_reason(exc)}", file=str(path), hint=hint)
