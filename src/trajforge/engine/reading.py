"""Reading a format's trajectories, decoded by an engine's workers when it is distributed.

trajforge's own records are read as raw lines in this process and decoded (with located
errors) by the workers, chunk by chunk and in order; other formats, and reads under the
``unique_keys`` check (decoded by a stricter reader), are read here as always.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from trajforge.engine import Engine, active_engine
from trajforge.errors import TrajforgeError
from trajforge.formats.base import RawReader, Reader
from trajforge.formats.registry import get_format, get_reader
from trajforge.io import BadRecord, OnError, RawLine, read_checks
from trajforge.schema import Trajectory, TrajectoryDecoder

#: Raw lines per task.
CHUNK = 256


def reader(name: str, engine: Engine | None = None) -> Reader:
    """The reader of the format ``name`` (``--from``), its decoding on ``engine`` (default: the
    active one) where the module says."""
    engine = engine or active_engine()
    read_raw = get_format(name, option="--from").read_raw
    if not engine.distributed or read_raw is None or read_checks().unique_keys:
        return get_reader(name)
    return partial(_decoded_on, engine, read_raw)


@dataclass(frozen=True)
class _Bad:
    """A line a worker could not decode: its located error, and the line."""

    error: TrajforgeError
    raw: bytes


def _decode_chunk(lines: list[RawLine]) -> list[Trajectory | _Bad]:
    """In a worker: a chunk of raw lines decoded, errors in their place."""
    decoder = TrajectoryDecoder()
    decoded: list[Trajectory | _Bad] = []
    for line in lines:
        try:
            decoded.append(decoder.decode(line.data))
        except TrajforgeError as err:
            decoded.append(_Bad(err.located(file=line.file, line=line.line), line.data))
    return decoded


def _decoded_on(
    engine: Engine, read_raw: RawReader, source: str, on_error: OnError | None
) -> Iterator[Trajectory]:
    lines = read_raw(source, on_error)
    workers = engine.default_workers()
    for chunk in engine.map_chunks(_decode_chunk, lines, workers=workers, chunk=CHUNK):
        for item in chunk:
            if not isinstance(item, _Bad):
                yield item
            elif on_error is None:
                raise item.error
            else:
                on_error(BadRecord.from_error(item.error, raw=item.raw))
