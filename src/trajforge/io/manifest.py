"""The manifest of a sharded dataset: which shards exist, their counts and checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

import msgspec

from trajforge.errors import InputError, IntegrityError
from trajforge.io._oserror import read_error
from trajforge.io.atomic import atomic_write
from trajforge.io.suffixes import DataFormat
from trajforge.schema import SCHEMA_VERSION

MANIFEST_NAME: Final = "manifest.json"


class ShardInfo(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One finished shard: its file name (relative to the dataset directory) and contents."""

    file: str
    count: int
    sha256: str
    first_id: str | None = None
    last_id: str | None = None


class Manifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A dataset directory's table of contents.

    It is rewritten (atomically) after every finished shard with ``complete = False``, and a last
    time with ``complete = True``; so after a crash it lists exactly the shards that are whole.
    """

    format: DataFormat
    schema_version: str = SCHEMA_VERSION
    shard_size: int | None = None
    count: int = 0
    complete: bool = False
    shards: list[ShardInfo] = msgspec.field(default_factory=list)

    def add(self, shard: ShardInfo) -> None:
        """Append a finished shard and update the total."""
        self.shards.append(shard)
        self.count += shard.count

    def save(self, directory: str | Path) -> Path:
        """Write ``manifest.json`` into ``directory`` atomically; return its path."""
        path = Path(directory) / MANIFEST_NAME
        with atomic_write(path) as out:
            out.write(msgspec.json.format(msgspec.json.encode(self), indent=2) + b"\n")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> Manifest:
        """Read ``manifest.json`` from ``directory`` (InputError if missing or malformed)."""
        path = Path(directory) / MANIFEST_NAME
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise read_error(path, exc) from None
        try:
            return msgspec.json.decode(data, type=cls)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"malformed manifest: {exc}", file=str(path)) from None

    @classmethod
    def count_in(cls, directory: str | Path) -> int | None:
        """The trajectories the manifest in ``directory`` counts (None: no readable manifest)."""
        try:
            return cls.load(directory).count
        except InputError:
            return None

    def paths(self, directory: str | Path) -> list[Path]:
        """The shard files, in order; an InputError for a shard named outside the directory (an
        absolute path, or ``..`` out of it): a dataset reads only its own files."""
        root = Path(directory).resolve()
        paths = []
        for k, shard in enumerate(self.shards):
            path = Path(directory) / shard.file
            if Path(shard.file).is_absolute() or not path.resolve().is_relative_to(root):
                raise InputError(
                    f"shard {shard.file!r} is outside the dataset directory",
                    file=str(Path(directory) / MANIFEST_NAME),
                    path=f"shards[{k}].file",
                    hint="a manifest names its shards relative to its own directory",
                )
            paths.append(path)
        return paths

    def verify(self, directory: str | Path) -> None:
        """Check that every shard exists with the recorded sha256 (InputError if not)."""
        for path, shard in zip(self.paths(directory), self.shards, strict=True):
            try:
                check_file_hash(path, shard.sha256)
            except OSError as exc:
                raise read_error(path, exc) from None


def sha256_file(path: str | Path) -> str:
    """The hex sha256 of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def hash_mismatch(path: str | Path, expected: str, actual: str) -> IntegrityError:
    """The error for a shard whose bytes do not have the sha256 its manifest records."""
    return IntegrityError(
        f"checksum mismatch: the shard has sha256 {actual}, its manifest says {expected}",
        file=str(path),
        hint="the shard changed after it was written: restore it, or write the dataset again "
        "(reading commands read it as it is with --no-verify-hashes)",
    )


def check_file_hash(path: str | Path, expected: str) -> None:
    """Hash the whole file; :func:`hash_mismatch` if its sha256 is not ``expected``."""
    actual = sha256_file(path)
    if actual != expected:
        raise hash_mismatch(path, expected, actual)
