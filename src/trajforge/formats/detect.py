"""``--from auto``: which registered format a source's records are, from its first records."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from trajforge.errors import ConfigError
from trajforge.formats.base import Format
from trajforge.io import BadRecord, OnError
from trajforge.io.documents import iter_records
from trajforge.schema import Trajectory

#: How many records detection looks at.
SAMPLE = 20


@dataclass(frozen=True)
class Detection:
    """The format chosen for a source, and how many of the sampled records it recognised."""

    format: Format
    matched: int
    sampled: int


def detect_format(source: str) -> Detection:
    """The registered format that recognises the most of ``source``'s first records.

    ConfigError when no format recognises any, or when two recognise as many (naming them).
    """
    from trajforge.formats.registry import FORMATS  # noqa: PLC0415 - the registry imports us

    bad: list[BadRecord] = []
    sample = [r.data for r in itertools.islice(iter_records(source, bad.append), SAMPLE)]
    if not sample:
        where = bad[0].describe() if bad else source
        raise ConfigError(f"no record to recognise the format by in {where}", path="--from")
    formats = [fmt for fmt in FORMATS.load_all()[0].values() if fmt.detect is not None]
    scores = sorted(
        ((sum(map(_safe(fmt), sample)), fmt) for fmt in formats),
        key=lambda pair: pair[0],
        reverse=True,
    )
    best = scores[0][0] if scores else 0
    if best == 0:
        raise ConfigError(
            f"no importer recognises the records of {source}",
            path="--from",
            hint="name the format with --from (trajforge plugins lists them)",
        )
    tied = [fmt.name for score, fmt in scores if score == best]
    if len(tied) > 1:
        raise ConfigError(
            f"the records of {source} fit several formats: {', '.join(tied)}",
            path="--from",
            hint="name the format with --from",
        )
    return Detection(scores[0][1], best, len(sample))


def _safe(fmt: Format) -> Callable[[object], bool]:
    """``fmt.detect`` that says no instead of failing on an odd record."""
    recognises = fmt.detect
    assert recognises is not None

    def detect(data: object) -> bool:
        try:
            return bool(recognises(data))
        except Exception:  # a plugin's detector must not break detection
            return False

    return detect


def read_detected(source: str, on_error: OnError | None, /) -> Iterator[Trajectory]:
    """The trajectories of ``source`` read by the format :func:`detect_format` picks."""
    read = detect_format(source).format.read
    assert read is not None  # only formats with a reader detect
    return read(source, on_error)


FORMAT = Format(
    name="auto",
    description="recognise the format from the first records (see trajforge import --report)",
    suffixes=(),
    read=read_detected,
)
