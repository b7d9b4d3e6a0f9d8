"""Where trajectories come from and go to: files, globs and shard directories, by suffix."""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

from trajforge.errors import ConfigError, IntegrityError
from trajforge.io._oserror import write_error
from trajforge.io.checks import read_checks
from trajforge.io.jsonl import LineDecoder, RawLine, decode_lines, iter_lines, write_jsonl
from trajforge.io.manifest import MANIFEST_NAME, Manifest
from trajforge.io.parquet import ROW_GROUP_SIZE, read_parquet, write_parquet
from trajforge.io.parquet_rows import RowDecoder, TrajectoryRow
from trajforge.io.quarantine import OnError
from trajforge.io.shards import SHARD_SIZE, ShardedWriter
from trajforge.io.suffixes import FORMATS, DataFormat, format_of, supported_hint
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

_GLOB_CHARS = frozenset("*?[")
_T = TypeVar("_T")


class DataFile(NamedTuple):
    """A data file to read, and the sha256 to check it against (from its dataset's manifest,
    when hash checks are on)."""

    path: Path
    sha256: str | None = None


def _dir_files(directory: Path) -> list[DataFile]:
    if (directory / MANIFEST_NAME).is_file():
        manifest = Manifest.load(directory)
        if not manifest.complete:
            raise ConfigError(
                "the dataset is incomplete: its writer did not finish",
                file=str(directory / MANIFEST_NAME),
                hint=f"re-run the job that wrote it, or read the finished shards with a glob "
                f"such as {directory}/part-*.{manifest.format}",
            )
        paths = manifest.paths(directory)
        if not read_checks().shard_hashes:
            return [DataFile(p) for p in paths]
        return [DataFile(p, s.sha256) for p, s in zip(paths, manifest.shards, strict=True)]
    found = sorted(
        p
        for p in directory.iterdir()
        if not p.name.startswith(".") and format_of(p) is not None and p.is_file()
    )
    if not found:
        raise ConfigError(
            "no data files in the directory", file=str(directory), hint=supported_hint()
        )
    return [DataFile(p) for p in found]


def resolve_files(spec: str | Path) -> list[DataFile]:
    """The data files ``spec`` names: a file, a glob pattern, or a directory.

    A directory with ``manifest.json`` gives its shards in order (it must be complete), each with
    its sha256 to check unless hash checks are off (see :mod:`trajforge.io.checks`); any other
    directory gives its data files (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``, ``.parquet``) in
    sorted order. A glob gives its matching data files in sorted order (and the shards of
    matching directories that have a manifest). ConfigError when nothing matches.
    """
    path = Path(spec)
    if path.is_dir():
        return _dir_files(path)
    if path.exists():
        if format_of(path) is None:
            raise ConfigError(
                f"unknown file type {''.join(path.suffixes) or '(no suffix)'}",
                file=str(path),
                hint=supported_hint(),
            )
        return [DataFile(path)]
    text = str(spec)
    if not _GLOB_CHARS & set(text):
        raise ConfigError("no such file or directory", file=text)
    found: list[DataFile] = []
    for match in sorted(glob.glob(text, recursive=True)):
        candidate = Path(match)
        if candidate.is_dir():
            if (candidate / MANIFEST_NAME).is_file():
                found.extend(_dir_files(candidate))
        elif format_of(candidate) is not None:
            found.append(DataFile(candidate))
    if not found:
        raise ConfigError("no data files match the pattern", file=text, hint=supported_hint())
    return found


def resolve_paths(spec: str | Path) -> list[Path]:
    """The paths of the data files ``spec`` names (see :func:`resolve_files`)."""
    return [file.path for file in resolve_files(spec)]


def read_file(
    path: str | Path,
    on_error: OnError | None = None,
    *,
    sha256: str | None = None,
    unique_keys: bool = False,
) -> Iterator[Trajectory]:
    """Read one data file, choosing the reader by suffix. ``sha256``: what its bytes must hash
    to; ``unique_keys``: refuse JSON records that repeat a key (see :mod:`trajforge.io.checks`)."""
    return _read_file(path, on_error, sha256, TrajectoryDecoder(unique_keys=unique_keys))


def _read_file(
    path: str | Path, on_error: OnError | None, sha256: str | None, decoder: LineDecoder[_T]
) -> Iterator[_T | Trajectory]:
    """The records of a Parquet file, or those ``decoder`` makes of a JSONL file's lines."""
    fmt = format_of(path)
    if fmt is None:
        raise ConfigError("unknown file type", file=str(path), hint=supported_hint())
    if fmt == "parquet":
        return read_parquet(path, on_error, sha256=sha256)
    return decode_lines(iter_lines(path, on_error, sha256=sha256), decoder, on_error)


def read_trajectories(spec: str | Path, on_error: OnError | None = None) -> Iterator[Trajectory]:
    """Stream the trajectories of every file ``spec`` names (see :func:`resolve_files`).

    The paths, and the checks in force, are taken at call time (a bad spec raises at once);
    records stream lazily.
    """
    unique_keys = read_checks().unique_keys
    return _read_all(
        resolve_files(spec), on_error, lambda: TrajectoryDecoder(unique_keys=unique_keys)
    )


def read_rows(
    spec: str | Path, on_error: OnError | None = None
) -> Iterator[TrajectoryRow | Trajectory]:
    """The records of every file ``spec`` names, as :func:`read_trajectories` reads them but
    for trajforge's own writers: JSONL records come as Parquet rows (validated the same, never
    made into Trajectory objects: see :mod:`trajforge.io.parquet_rows`), Parquet rows as
    trajectories."""
    unique_keys = read_checks().unique_keys
    return _read_all(resolve_files(spec), on_error, lambda: RowDecoder(unique_keys=unique_keys))


def _read_all(
    files: list[DataFile], on_error: OnError | None, decoder: Callable[[], LineDecoder[_T]]
) -> Iterator[_T | Trajectory]:
    for path, sha256 in files:
        yield from _read_file(path, on_error, sha256, decoder())


def copy_trajectories(
    source: str | Path,
    dest: str | Path,
    on_error: OnError | None = None,
    *,
    shard_size: int | None = None,
) -> WriteResult:
    """Write the trajectories of ``source`` (see :func:`resolve_files`) to ``dest`` (see
    :func:`write_trajectories`), in the format ``dest`` names: what ``trajforge convert`` does
    from trajforge records to trajforge records. JSONL records pass as Parquet rows."""
    return write_trajectories(dest, read_rows(source, on_error), shard_size=shard_size)


def read_raw(spec: str | Path, on_error: OnError | None = None) -> Iterator[RawLine]:
    """The records of every file ``spec`` names as raw JSON lines, for work that decodes them
    elsewhere (worker processes): JSONL lines as they are (bad ones are decoded, and located,
    there), Parquet rows encoded here (``line`` counts the rows read well). The paths are taken
    at call time, as by :func:`read_trajectories`."""
    return _raw_lines(resolve_files(spec), on_error)


def _raw_lines(files: list[DataFile], on_error: OnError | None) -> Iterator[RawLine]:
    for path, sha256 in files:
        if format_of(path) == "parquet":
            file = str(path)
            rows = read_parquet(path, on_error, sha256=sha256)
            for row, trajectory in enumerate(rows, start=1):
                yield RawLine(file, row, encode(trajectory))
        else:
            yield from iter_lines(path, on_error, sha256=sha256)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write produced: the record count, the files, and the manifest if sharded.

    ``details`` are a writer's own counts, by what they count (a preference format's pairs by
    kind, the trajectories it skipped and why).
    """

    count: int
    paths: tuple[Path, ...]
    manifest: Path | None = None
    details: Mapping[str, int] = field(default_factory=dict)


def write_trajectories(
    dest: str | Path,
    records: Iterable[Trajectory | TrajectoryRow | bytes],
    *,
    format: DataFormat | None = None,
    shard_size: int | None = None,
    row_group_size: int = ROW_GROUP_SIZE,
) -> WriteResult:
    """Write trajectories to a file or a shard directory, atomically.

    A path ending in a supported suffix is one file in that format. An existing directory, or a
    path without a suffix, becomes a shard directory (``format`` defaults to parquet,
    ``shard_size`` to 10,000; it is ignored for a single file) with a manifest. Any other suffix
    is a ConfigError.
    """
    path = Path(dest)
    if format is not None and format not in FORMATS:
        raise ConfigError(f"unknown format {format!r}", hint=supported_hint())
    fmt = format_of(path)
    if path.is_dir() or (fmt is None and not path.suffix):
        with ShardedWriter(
            path,
            format=format or "parquet",
            shard_size=shard_size or SHARD_SIZE,
            row_group_size=row_group_size,
        ) as writer:
            try:
                for record in records:
                    writer.write(record)
            except IntegrityError:
                writer.discard()  # its shards hold records of a damaged input
                raise
        return WriteResult(writer.count, tuple(writer.paths), path / MANIFEST_NAME)
    if fmt is None:
        raise ConfigError(
            f"unknown output file type {path.suffix!r}",
            file=str(path),
            hint=f"{supported_hint()}; or a directory (a name without a suffix) for shards",
        )
    if format is not None and format != fmt:
        raise ConfigError(
            f"format {format!r} does not match the file name", file=str(path), hint=f"use .{format}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(path, exc) from exc
    if fmt == "parquet":
        count = write_parquet(path, records, row_group_size=row_group_size)
    else:
        count = write_jsonl(path, records)
    return WriteResult(count, (path,))


def check_destination(dest: str | Path, source: str | Path, *, option: str = "--out") -> None:
    """ConfigError when writing ``dest`` (given by ``option``) would replace or delete what
    ``source`` reads: one of its files, or a directory holding them (a sharded writer clears
    the shards it finds). Any file counts, whatever its format (a plugin's reader may read it)."""
    target = Path(dest).resolve()
    for path in _named_files(source):
        read = path.resolve()
        if read == target or target in read.parents:
            raise ConfigError(
                f"writing {dest} would overwrite the input {path}",
                path=option,
                hint="write the output somewhere else",
            )


def _named_files(source: str | Path) -> list[Path]:
    """The data files ``source`` names; for a file type trajforge does not read (a plugin's),
    what it names (a path, or a glob's matches) and the files of directories."""
    try:
        return resolve_paths(source)
    except ConfigError:
        path = Path(source)
        named = [path] if path.exists() else [Path(m) for m in glob.glob(str(source))]
        files = [c for d in named if d.is_dir() for c in sorted(d.iterdir()) if c.is_file()]
        return files + named
