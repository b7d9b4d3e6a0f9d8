"""Atomic publication of files: write a temporary file beside the target, then rename it.

Readers see either the old file or the complete new one, never a partial write: the data is
flushed and fsynced before ``os.replace``, and the directory is fsynced after it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

from trajforge.io._oserror import write_error

WRITE_BUFFER: Final = 1 << 20
TEMP_SUFFIX: Final = ".tmp"


def temp_path_for(path: Path) -> Path:
    """A fresh hidden temporary name in the same directory as ``path``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A temporary file that becomes ``path`` on :meth:`commit` or vanishes on :meth:`abort`.

    The file is created with the usual permissions (``0o666`` less the umask), unlike
    ``tempfile.mkstemp`` whose ``0o600`` would survive the rename.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done = False
        while True:
            self.temp_path = temp_path_for(self.path)
            try:
                fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 32 random bits collided
                continue
            except OSError as exc:
                raise write_error(self.path, exc) from exc
            break
        self.file: BinaryIO = os.fdopen(fd, "wb", buffering=WRITE_BUFFER)

    def commit(self) -> None:
        """Flush, fsync and rename the temporary file onto ``path``; fsync the directory."""
        if self.done:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temp_path, self.path)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        self.done = True
        fsync_dir(self.path.parent)

    def abort(self) -> None:
        """Close and delete the temporary file; ``path`` is left as it was."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp_path.unlink()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` atomically when the block ends without error.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    with AtomicFile(path) as target:
        yield target.file
