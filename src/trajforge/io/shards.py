"""Write a stream of trajectories as numbered shard files plus a manifest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Protocol, Self

import msgspec

from trajforge.errors import ConfigError
from trajforge.io._oserror import write_error
from trajforge.io.atomic import KeepOrDiscard, remove_temp_files
from trajforge.io.jsonl import LineWriter
from trajforge.io.manifest import Manifest, ShardInfo, sha256_file
from trajforge.io.parquet import ROW_GROUP_SIZE, ParquetWriter
from trajforge.io.parquet_rows import TrajectoryRow
from trajforge.io.suffixes import FORMATS, DataFormat, supported_hint
from trajforge.schema import Trajectory

SHARD_SIZE: Final = 10_000
#: The names ``shard_name`` gives, in any format.
_SHARD_FILE: Final = re.compile(rf"part-\d{{5}}\.(?:{'|'.join(map(re.escape, FORMATS))})")


class _Id(msgspec.Struct):
    """Just the id of an encoded trajectory."""

    id: str


_ID = msgspec.json.Decoder(_Id)


class RecordWriter(Protocol):
    """What a single-file writer offers: write records, then close (publish) or abort."""

    count: int

    def write(self, record: Trajectory | TrajectoryRow | bytes) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def open_writer(
    path: Path, fmt: DataFormat, *, row_group_size: int = ROW_GROUP_SIZE
) -> RecordWriter:
    """An atomic single-file writer for ``fmt``."""
    if fmt == "parquet":
        return ParquetWriter(path, row_group_size=row_group_size)
    return LineWriter(path)


def shard_name(index: int, fmt: DataFormat) -> str:
    """The file name of shard ``index``: ``part-00000.parquet``."""
    return f"part-{index:05d}.{fmt}"


class ShardedWriter(KeepOrDiscard):
    """Write trajectories into ``out_dir`` as ``part-NNNNN.<format>`` shards and a manifest.

    Each shard is published atomically when it holds ``shard_size`` records (or at close); the
    manifest is rewritten atomically after each shard (``complete = False``) and at close
    (``complete = True``). If the block raises, the unfinished shard is discarded and the
    manifest lists the finished ones.
    """

    def __init__(
        self,
        out_dir: str | Path,
        *,
        format: DataFormat = "parquet",
        shard_size: int = SHARD_SIZE,
        row_group_size: int = ROW_GROUP_SIZE,
    ) -> None:
        if format not in FORMATS:
            raise ConfigError(f"unknown shard format {format!r}", hint=supported_hint())
        if shard_size < 1:
            raise ConfigError(f"shard size must be at least 1, not {shard_size}")
        self.out_dir = Path(out_dir)
        self.format: DataFormat = format
        self.shard_size = shard_size
        self.row_group_size = min(row_group_size, shard_size)
        self.manifest = Manifest(format=format, shard_size=shard_size)
        self._started = False
        self._current: RecordWriter | None = None
        self._current_path: Path | None = None
        self._first_id: str | None = None
        self._last_id: str | None = None

    @property
    def count(self) -> int:
        """Records written so far (finished shards and the open one)."""
        return self.manifest.count + (self._current.count if self._current else 0)

    @property
    def paths(self) -> list[Path]:
        """The finished shard files."""
        return self.manifest.paths(self.out_dir)

    def _start(self) -> None:
        if self._started:
            return
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(self.out_dir, exc) from exc
        remove_temp_files(self.out_dir)  # of shards a killed writer never finished
        self.manifest.save(self.out_dir)  # incomplete until close
        self._started = True

    def write(self, record: Trajectory | TrajectoryRow | bytes) -> None:
        """Add one trajectory (or its Parquet row, or its JSON encoding); a full shard is
        published."""
        record_id = _ID.decode(record).id if isinstance(record, bytes) else record.id
        self._start()
        if self._current is None:
            name = shard_name(len(self.manifest.shards), self.format)
            self._current_path = self.out_dir / name
            self._current = open_writer(
                self._current_path, self.format, row_group_size=self.row_group_size
            )
            self._first_id = record_id
        self._current.write(record)
        self._last_id = record_id
        if self._current.count >= self.shard_size:
            self._finish_shard()

    def _finish_shard(self) -> None:
        current, path = self._current, self._current_path
        if current is None or path is None:
            return
        current.close()
        self._current = None
        shard = ShardInfo(
            file=path.name,
            count=current.count,
            sha256=sha256_file(path),
            first_id=self._first_id,
            last_id=self._last_id,
        )
        self.manifest.add(shard)
        self.manifest.save(self.out_dir)

    def close(self) -> Manifest:
        """Publish the last shard and the complete manifest; return the manifest.

        Shard files of an earlier dataset in the same directory that the new manifest does not
        list (``part-00007.*`` left from a larger one) are deleted then, so that the directory
        holds one dataset, whichever way it is read.
        """
        self._start()
        self._finish_shard()
        if not self.manifest.complete:
            self.manifest.complete = True
            self.manifest.save(self.out_dir)
        self._remove_stale_shards()
        return self.manifest

    def _remove_stale_shards(self) -> None:
        listed = {shard.file for shard in self.manifest.shards}
        for path in self.out_dir.glob("part-*"):
            if path.name not in listed and _SHARD_FILE.fullmatch(path.name) and path.is_file():
                try:
                    path.unlink()
                except OSError as exc:
                    raise write_error(path, exc) from exc

    def abort(self) -> None:
        """Discard the unfinished shard (finished ones stay, listed in the manifest), and any
        temporary file of a shard an interrupt left before the writer knew of it (between its
        creation and its first record)."""
        if self._current is not None:
            self._current.abort()
            self._current = None
        if self._started:
            remove_temp_files(self.out_dir)

    def discard(self) -> None:
        """Discard every shard written, finished or not: the manifest (still incomplete) lists
        none. For records that must not be kept, such as those of a damaged input."""
        self.abort()
        written = self.paths
        self.manifest = Manifest(format=self.format, shard_size=self.shard_size)
        self.manifest.save(self.out_dir)
        for path in written:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise write_error(path, exc) from exc

    def __enter__(self) -> Self:
        self._start()
        return self
