"""Open files for streaming binary IO, compressed or not, chosen by the file suffix.

``.gz`` is gzip, ``.zst`` is zstandard, anything else is plain. Readers and writers stream in
constant memory. Truncated compressed input raises ``EOFError`` (as the standard library does
for gzip); corrupt input raises ``OSError``, ``zlib.error`` or ``zstandard.ZstdError``.
``DECOMPRESSION_ERRORS`` lists them for callers that turn them into located errors. zstd frames
are written with a content checksum, which reading verifies at each frame's end (as gzip does
its CRC-32 at each member's end; see :mod:`trajforge.io.integrity` for what that means).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final, Literal, cast

import zstandard

Compression = Literal["none", "gzip", "zstd"]

GZIP_LEVEL: Final = 6
ZSTD_LEVEL: Final = 3
READ_BUFFER: Final = 1 << 20
_ZSTD_INPUT_CHUNK: Final = 1 << 15

DECOMPRESSION_ERRORS: Final = (EOFError, OSError, zlib.error, zstandard.ZstdError)


def compression_of(path: str | Path) -> Compression:
    """The compression implied by a file name: ``gzip`` for .gz, ``zstd`` for .zst."""
    name = str(path).lower()
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".zst"):
        return "zstd"
    return "none"


class _ZstdReader(io.RawIOBase):
    """Decompress zstd frames one after another, raising EOFError if the last one is cut short.

    ``zstandard``'s own stream reader ends silently on truncated input, which would lose records
    without a word; this reader drives a ``decompressobj`` per frame and checks that every frame
    it started also ended.
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj: zstandard.ZstdDecompressionObj | None = None
        self._unused = b""
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """Decompress until output is pending; False at a clean end of input."""
        while not self._pending:
            data = self._unused or self._raw.read(_ZSTD_INPUT_CHUNK)
            self._unused = b""
            if not data:
                if self._obj is not None:
                    raise EOFError("zstd stream ended before the end of its last frame")
                return False
            if self._obj is None:
                self._obj = self._dctx.decompressobj()
            out = self._obj.decompress(data)
            if self._obj.eof:
                self._unused = self._obj.unused_data
                self._obj = None
            self._pending = memoryview(out)
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._fill():
            return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def wrap_reader(raw: BinaryIO, compression: Compression) -> BinaryIO:
    """Wrap an open binary file so that reading yields decompressed bytes; closes ``raw`` too."""
    if compression == "gzip":
        return cast(BinaryIO, _ClosingGzip(raw))
    if compression == "zstd":
        return cast(BinaryIO, io.BufferedReader(_ZstdReader(raw), READ_BUFFER))
    return raw


class _ClosingGzip(gzip.GzipFile):
    """A gzip reader that also closes the file it reads from."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_read(path: str | Path) -> BinaryIO:
    """Open ``path`` for streaming binary reading, decompressing by suffix."""
    raw = open(path, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - returned to the caller
    return wrap_reader(raw, compression_of(path))


def wrap_writer(raw: BinaryIO, compression: Compression) -> BinaryIO:
    """Wrap an open binary file so that writes are compressed; closing it leaves ``raw`` open.

    Output is deterministic: gzip headers carry no file name and a zero timestamp.
    """
    if compression == "gzip":
        return cast(
            BinaryIO,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0),
        )
    if compression == "zstd":
        cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
        return cast(BinaryIO, cctx.stream_writer(raw, closefd=False))
    return cast(BinaryIO, _Unclosing(raw))


class _Unclosing(io.RawIOBase):
    """Pass writes through to a file without closing it on close (flushes instead)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        return self._raw.write(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.flush()
        super().close()


@contextmanager
def open_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open ``path`` for streaming binary writing (not atomic), compressing by suffix."""
    with open(path, "wb") as raw, wrap_writer(raw, compression_of(path)) as out:
        yield out
