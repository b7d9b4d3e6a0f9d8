"""The one place that runs a list of stages over a stream of trajectories.

For every stage a trajectory passes, the runner alone:

- removes the labels an earlier run of that stage gave (a ``Labelling`` stage's own),
- records the stage in the trajectory's provenance (name, version, parameters and their digest),
- counts what the stage saw, kept, changed and set aside, and what failed in it,
- routes a record a stage fails on, or sets aside, to the quarantine with the reason (record
  stages only: a stream stage owns its stream).

Runs in this process (:meth:`StageRunner.stream`) or, for a leading run of record stages, in
``workers`` processes over raw JSON lines (:meth:`StageRunner.stream_raw`): the workers decode,
run the stages and encode, so this process only reads and writes bytes. The workers are the
engine's (:mod:`trajforge.engine`): local processes, or Ray tasks on a cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from time import perf_counter
from typing import Any, Protocol, Self

from trajforge.engine import Engine, get_engine
from trajforge.errors import ConfigError, TrajforgeError
from trajforge.io.jsonl import RawLine
from trajforge.io.quarantine import BadRecord, OnError
from trajforge.pipeline.provenance import LabelTest, clear_labels, record_stage, stage_record
from trajforge.pipeline.stage import Labelling, RecordStage, Stage, stage_params
from trajforge.schema import Label, StageRecord, Trajectory, TrajectoryDecoder, encode

#: Raw lines per task sent to a worker.
CHUNK = 32


class Observer(Protocol):
    """Something that watches the trajectories a run writes (a label summary, statistics)."""

    def add(self, trajectory: Trajectory) -> object:
        """Take one trajectory into account."""
        ...

    def merge(self, other: Self) -> None:
        """Add what another observer of the same kind saw (from a worker process)."""
        ...

    def fresh(self) -> Self:
        """An empty observer of the same kind and settings."""
        ...


@dataclass
class StageCount:
    """What one stage did in a run."""

    name: str
    version: str
    seen: int = 0
    kept: int = 0
    changed: int = 0
    set_aside: int = 0
    failed: int = 0
    #: Seconds spent in the stage (summed over the processes it ran in; not compared).
    seconds: float = field(default=0.0, compare=False)

    def merge(self, other: StageCount) -> None:
        """Add another count of the same stage."""
        self.seen += other.seen
        self.kept += other.kept
        self.changed += other.changed
        self.set_aside += other.set_aside
        self.failed += other.failed
        self.seconds += other.seconds


@dataclass
class RunReport:
    """What a run did: each stage's counts, in order."""

    stages: list[StageCount]


_LABELS = attrgetter("labels")


def _shape(trajectory: Trajectory) -> tuple[Any, ...]:
    """What an in-place change shows in: the trajectory's labels, outcome, steps list and system
    prompt (a stage that returns another trajectory has changed it anyway)."""
    outcome = trajectory.outcome
    steps = trajectory.steps
    return (len(trajectory.labels), id(steps), len(steps), outcome.status, outcome.score,
            trajectory.system_prompt)  # fmt: skip


@dataclass
class _Bound:
    """A stage with its provenance record, made once per run."""

    stage: Stage
    record: StageRecord
    count: StageCount
    owns: LabelTest | None  # the stage's labels, if it gives any
    apply: Callable[[Trajectory], Trajectory | None]  # a record stage's, else unused

    @classmethod
    def of(cls, stage: Stage) -> _Bound:
        record = stage_record(stage.name, stage.version, stage_params(stage))
        owns = stage.owns if isinstance(stage, Labelling) else None
        apply = stage.apply if isinstance(stage, RecordStage) else _not_a_record_stage
        return cls(stage, record, StageCount(stage.name, stage.version), owns, apply)

    def fresh(self) -> _Bound:
        count = StageCount(self.stage.name, self.stage.version)
        return _Bound(self.stage, self.record, count, self.owns, self.apply)

    def clear(self, trajectory: Trajectory) -> Trajectory:
        owns = self.owns
        return trajectory if owns is None else clear_labels(trajectory, owns)


@dataclass
class StageRunner:
    """Runs ``stages`` in order; bad and set-aside records go to ``quarantine``.

    ``observers`` see every trajectory that leaves the last stage. ``workers`` > 1 runs the
    leading record stages in that many processes (see :meth:`stream_raw`); a distributed
    ``engine`` runs them as its tasks, ``workers`` at a time (default: the engine's own
    default, see :meth:`~trajforge.engine.Engine.default_workers`). The engine is the local one
    unless given: only the caller knows whether its stages can leave this process (a curation
    step's exclusion callback, say, writes a file here).
    """

    stages: Sequence[Stage]
    quarantine: OnError | None = None
    workers: int | None = None
    observers: Sequence[Observer] = ()
    engine: Engine | None = None
    report: RunReport = field(init=False)
    _bound: list[_Bound] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for stage in self.stages:
            if not isinstance(stage, Stage):
                raise TypeError(f"{stage!r} is not a stage (name, version, __call__)")
        _distinct([stage.name for stage in self.stages])
        self._bound = [_Bound.of(s) for s in self.stages]
        self.report = RunReport([b.count for b in self._bound])

    # -- in this process -------------------------------------------------------------------------

    def stream(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream after every stage, in this process."""
        return self._observed(self._from_stage(0, trajectories))

    def _from_stage(self, start: int, stream: Iterable[Trajectory]) -> Iterable[Trajectory]:
        """``stream`` through the stages from index ``start`` on: each run of record stages
        together, record by record, each stream stage on its own."""
        bound = self._bound
        while start < len(bound):
            end = start
            while end < len(bound) and isinstance(bound[end].stage, RecordStage):
                end += 1
            if end > start:
                stream = self._records(stream, bound[start:end])
                start = end
            else:
                stream = self._stream_stage(stream, bound[start])
                start += 1
        return stream

    def _observed(self, stream: Iterable[Trajectory]) -> Iterator[Trajectory]:
        observers = self.observers
        for trajectory in stream:
            for observer in observers:
                observer.add(trajectory)
            yield trajectory

    def _records(self, stream: Iterable[Trajectory], bound: list[_Bound]) -> Iterator[Trajectory]:
        """A run of record stages, each trajectory through all of them in turn."""
        for trajectory in stream:
            result = _through(bound, trajectory, self._set_aside)
            if result is not None:
                yield result

    def _stream_stage(self, stream: Iterable[Trajectory], bound: _Bound) -> Iterator[Trajectory]:
        """A stream stage: cleared on the way in, recorded and counted on the way out.

        Changes are told by content, not identity: a stage that parks its stream on disk and
        reads it back (dedup, balance) yields other objects, equal to what it was given.
        """
        count = bound.count
        waiting: dict[str, list[int]] = {}  # the digests of what went in and is not out, by id
        asking, feeding = _Stopwatch(), _Stopwatch()  # the stage's time: asking it, less feeding it

        def feed() -> Iterator[Trajectory]:
            for trajectory in _timed(stream, feeding):
                count.seen += 1
                cleared = bound.clear(trajectory)
                waiting.setdefault(cleared.id, []).append(_digest(cleared))
                yield cleared

        try:
            for trajectory in _timed(bound.stage(feed()), asking):
                count.kept += 1
                if not _came_back(waiting, trajectory):
                    count.changed += 1
                record_stage(trajectory, bound.record)
                yield trajectory
        finally:
            count.seconds += asking.seconds - feeding.seconds
        count.set_aside += sum(map(len, waiting.values()))

    def _set_aside(self, bad: BadRecord) -> None:
        if self.quarantine is not None:
            self.quarantine(bad)

    # -- in worker processes, over raw lines -----------------------------------------------------

    def stream_raw(self, lines: Iterable[RawLine]) -> Iterator[Trajectory | bytes]:
        """The stream after every stage, from raw JSON lines (decoded with located errors; bad
        ones go to the quarantine).

        With ``workers`` > 1 (or a distributed engine) the leading record stages run in worker
        processes, which decode, run them and encode; what follows them runs here. Their output
        stays bytes when no stage follows and no observer is in this process's way.
        """
        leading = 0
        while leading < len(self._bound) and isinstance(self._bound[leading].stage, RecordStage):
            leading += 1
        engine = self.engine or get_engine("local")
        workers = self.workers or engine.default_workers()
        if leading == 0 or (workers <= 1 and not engine.distributed):
            yield from self.stream(self._decoded(lines))
            return
        last = leading == len(self._bound)
        observers = [o.fresh() for o in self.observers] if last else []
        work = _ChunkWork([b.fresh() for b in self._bound[:leading]], observers)
        chunks = engine.map_chunks(work, lines, workers=workers, chunk=CHUNK)
        outputs = self._from_workers(chunks)
        if last:
            yield from outputs
            return
        decoder = TrajectoryDecoder()
        decoded = (decoder.decode(line) for line in outputs)
        yield from self._observed(self._from_stage(leading, decoded))

    def _from_workers(self, results: Iterable[_ChunkResult]) -> Iterator[bytes]:
        for result in results:
            for mine, theirs in zip(self._bound, result.counts, strict=False):
                mine.count.merge(theirs)
            for bad in result.bad:
                self._set_aside(bad)
            for observer, theirs in zip(self.observers, result.observers, strict=False):
                observer.merge(theirs)
            yield from result.lines

    def _decoded(self, lines: Iterable[RawLine]) -> Iterator[Trajectory]:
        decoder = TrajectoryDecoder()
        for line in lines:
            trajectory = _decode(decoder, line, self._set_aside)
            if trajectory is not None:
                yield trajectory


def _decode(
    decoder: TrajectoryDecoder, line: RawLine, on_error: Callable[[BadRecord], None]
) -> Trajectory | None:
    try:
        return decoder.decode(line.data)
    except TrajforgeError as err:
        on_error(BadRecord.from_error(err.located(file=line.file, line=line.line), raw=line.data))
        return None


@dataclass
class _Stopwatch:
    """Seconds added up."""

    seconds: float = 0.0


def _timed(stream: Iterable[Trajectory], watch: _Stopwatch) -> Iterator[Trajectory]:
    """``stream``, the time spent waiting on each of its items added to ``watch``."""
    source = iter(stream)
    while True:
        started = perf_counter()
        trajectory = next(source, None)
        watch.seconds += perf_counter() - started
        if trajectory is None:
            return
        yield trajectory


def _digest(trajectory: Trajectory) -> int:
    return hash(encode(trajectory))


def _came_back(waiting: dict[str, list[int]], trajectory: Trajectory) -> bool:
    """Whether ``trajectory`` left a stream stage as it went in (one of the records of its id
    that went in: ids may repeat); what it was is no longer waiting either way."""
    digests = waiting.get(trajectory.id)
    if not digests:
        return False  # a record the stage made
    digest = _digest(trajectory)
    unchanged = digest in digests
    if unchanged:
        digests.remove(digest)
    else:
        digests.pop()
    if not digests:
        del waiting[trajectory.id]
    return unchanged


def _not_a_record_stage(trajectory: Trajectory) -> Trajectory | None:
    raise TypeError("a stream stage has no apply")


def _through(
    bound: Sequence[_Bound], trajectory: Trajectory, on_error: Callable[[BadRecord], None]
) -> Trajectory | None:
    """One trajectory through record stages; None if one of them failed on it or set it aside.

    A stage's earlier labels are looked for among the labels the trajectory had when it came
    (a stage's labels are its own: no other stage of a run gives them, see ``_distinct``), so
    the labels the stages before it just gave are not searched again.
    """
    came_with: list[Label] | None = None
    shape: tuple[Any, ...] | None = None  # the trajectory's shape as the last stage left it
    for b in bound:
        count = b.count
        count.seen += 1
        owns = b.owns
        current = trajectory
        if owns is not None:
            if came_with is None:
                came_with = _labels_of(trajectory)
            if any(map(owns, came_with)):
                current = clear_labels(trajectory, owns)
        before = shape if shape is not None and current is trajectory else _shape(current)
        started = perf_counter()
        try:
            result: Trajectory | None = b.apply(current)
        except Exception as exc:  # a stage's bug on one record must not stop the batch
            count.seconds += perf_counter() - started
            count.failed += 1
            on_error(_bad(trajectory, f"stage {b.stage.name} failed: {type(exc).__name__}: {exc}"))
            return None
        count.seconds += perf_counter() - started
        if result is None:
            count.set_aside += 1
            on_error(_bad(trajectory, f"set aside by stage {b.stage.name}"))
            return None
        count.kept += 1
        shape = _shape(result)
        if result is not current or shape != before:
            count.changed += 1
        trajectory = result
    record_stage(trajectory, *(b.record for b in bound))  # once for all: a copy each is dear
    return trajectory


def _distinct(names: list[str]) -> None:
    """A run's stages have distinct names: each is one record in provenance, and the labels a
    stage gives are its alone (what it finds to clear is what an earlier run of it left)."""
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(
            f"a stage runs once in a run: {', '.join(twice)} appears more than once",
            hint="give each stage its own name, or merge them into one",
        )


def _labels_of(trajectory: Trajectory) -> list[Label]:
    """Every label of a trajectory, its own and its steps'."""
    return [*trajectory.labels, *chain.from_iterable(map(_LABELS, trajectory.steps))]


def _bad(trajectory: Trajectory, reason: str) -> BadRecord:
    where = trajectory.provenance.record_location or f"trajectory {trajectory.id}"
    return BadRecord(file=where, error=reason, raw=encode(trajectory))


@dataclass
class _ChunkResult:
    """What a worker gives back for a chunk of raw lines."""

    lines: list[bytes]
    bad: list[BadRecord]
    counts: list[StageCount]
    observers: list[Any]


@dataclass
class _ChunkWork:
    """The work sent to a worker: record stages (and observers) applied to a chunk."""

    bound: list[_Bound]
    observers: list[Any]

    def __call__(self, lines: list[RawLine]) -> _ChunkResult:
        bound = [b.fresh() for b in self.bound]
        observers = [o.fresh() for o in self.observers]
        bad: list[BadRecord] = []
        out: list[bytes] = []
        decoder = TrajectoryDecoder()
        for line in lines:
            trajectory = _decode(decoder, line, bad.append)
            if trajectory is None:
                continue
            result = _through(bound, trajectory, bad.append)
            if result is None:
                continue
            for observer in observers:
                observer.add(result)
            out.append(encode(result))
        return _ChunkResult(out, bad, [b.count for b in bound], observers)
