"""Atomic publication of files: write a temporary file beside the target, then rename it.

Readers see either the old file or the complete new one, never a partial write: the data is
flushed and fsynced before ``os.replace``, and the directory is fsynced after it. Inside
:func:`deferred_sync` the fsyncs are left to whoever records the file (:func:`sync_file`): a
Ray worker that publishes a shard leaves them to the driver, which syncs it before the manifest
names it, instead of idling on the disk.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final, Self

from trajforge.io._oserror import write_error

WRITE_BUFFER: Final = 1 << 20
TEMP_SUFFIX: Final = ".tmp"
_TEMP_NAME: Final = re.compile(r"\..+\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))


def temp_path_for(path: Path) -> Path:
    """A fresh hidden temporary name in the same directory as ``path``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def remove_temp_files(directory: Path, target: str | None = None) -> list[Path]:
    """Delete the temporary files that ``temp_path_for`` names in ``directory`` (left there by a
    process killed between creating one and its rename), only those of ``target`` and of files
    named after it (its quarantine) if given; return what was deleted."""
    removed = []
    pattern = f".{glob.escape(target)}.*{TEMP_SUFFIX}" if target else f".*{TEMP_SUFFIX}"
    for path in directory.glob(pattern):
        if _TEMP_NAME.fullmatch(path.name) and path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


_durable: ContextVar[bool] = ContextVar("trajforge_durable_writes", default=True)


@contextmanager
def deferred_sync() -> Iterator[None]:
    """Atomic writes inside the block are not fsynced (a killed process loses none of them; a
    lost machine may): whoever records them calls :func:`sync_file` first."""
    token = _durable.set(False)
    try:
        yield
    finally:
        _durable.reset(token)


def sync_file(path: Path) -> None:
    """Make a file another process wrote (and renamed into place) durable, its rename too."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from exc
    fsync_dir(path.parent)


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


class KeepOrDiscard(ABC):
    """A context manager for output that is kept (``close``) when its block ends cleanly and
    discarded (``abort``) when the block raises."""

    @abstractmethod
    def close(self) -> object:
        """Keep the output (what it returns, if anything, is the subclass's)."""

    @abstractmethod
    def abort(self) -> None:
        """Discard the output."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class AtomicFile(KeepOrDiscard):
    """A temporary file that becomes ``path`` on :meth:`commit` or vanishes on :meth:`abort`.

    The file is created with the usual permissions (``0o666`` less the umask), unlike
    ``tempfile.mkstemp`` whose ``0o600`` would survive the rename.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done = False
        # what a killed writer of the same file left behind goes now, so that a rerun's output
        # is the same as an uninterrupted run's
        remove_temp_files(self.path.parent, self.path.name)
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
        """Flush, fsync and rename the temporary file onto ``path``; fsync the directory (no
        fsyncs inside :func:`deferred_sync`)."""
        if self.done:
            return
        try:
            self.file.flush()
            durable = _durable.get()
            if durable:
                os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temp_path, self.path)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        self.done = True
        if durable:
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

    def close(self) -> None:
        """Publish the file (``commit``)."""
        self.commit()


class PublishingWriter(KeepOrDiscard):
    """A writer whose file appears at ``path`` only when complete: :meth:`close` writes out what
    is buffered, finishes the stream and publishes the file; :meth:`abort` discards it, as does
    an exception inside a ``with`` block."""

    path: Path
    _target: AtomicFile

    @abstractmethod
    def _flush(self) -> None:
        """Write out what is buffered."""

    @abstractmethod
    def _finish(self) -> None:
        """Close the stream written into the target file (compression trailer, footer)."""

    def close(self) -> None:
        """Write out the rest, finish the stream and publish the file."""
        if self._target.done:
            return
        self._flush()
        try:
            self._finish()
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from exc
        self._target.commit()

    def abort(self) -> None:
        """Discard the partial file."""
        self._target.abort()


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` atomically when the block ends without error.

    On an exception the temporary file is removed and ``path`` is untouched; an OSError (a
    write that failed: a full disk) becomes a TrajforgeError naming ``path``.
    """
    with AtomicFile(path) as target:
        try:
            yield target.file
        except OSError as exc:
            raise write_error(target.path, exc) from exc
