"""The batch runner: episodes run concurrently, land in shards, and a killed run resumes exactly.

Work item ``i`` belongs to shard ``i // shard_size``. A finished item is appended to its shard's
journal at once; when every item of a shard is done, the shard is written atomically (items in
order) and added to the manifest, and its journal is removed. Run again after a crash, the runner
skips published shards and journaled items and does only the rest. Ids, tasks and seeds derive
from the run's seed, so the final dataset is the same bytes as an uninterrupted run's.

An episode that fails (its endpoint gave up, or a bug) is written to ``errors.jsonl`` and left
pending, never journaled: its shard is not published, the manifest stays incomplete, and the
next run of the same spec retries exactly the pending items. When the endpoint's circuit breaker
opens (``EndpointDownError``), no further episode starts; those in flight fail and stay pending too.

On a distributed engine (Ray) the episodes run on its workers (:mod:`trajforge.run.chunks`),
which journal them in segments of their own (:mod:`trajforge.run.segments`) where they see the
run's directory, or send them back to be journaled here; shards are published just the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import msgspec

from trajforge.engine import Engine, active_engine
from trajforge.envs.approval import Approver
from trajforge.errors import ConfigError, EndpointDownError
from trajforge.io._oserror import write_error
from trajforge.io.atomic import atomic_write, remove_temp_files, sync_file
from trajforge.io.manifest import MANIFEST_NAME, Manifest, ShardInfo
from trajforge.io.shards import shard_name
from trajforge.run import chunks
from trajforge.run.episodes import EpisodeMaker, LLMHooks, error_entry
from trajforge.run.items import WorkItem, make_item
from trajforge.run.journal import Journal
from trajforge.run.segments import SegmentPlace, load_segments, remove_segments, segment_files
from trajforge.run.shard_files import write_shard
from trajforge.run.spec import RunSpec, same_run

__all__ = ["ERRORS_NAME", "JOURNALS", "SPEC_NAME", "LLMHooks", "Progress", "Runner"]

SPEC_NAME = "run.json"
JOURNALS = ".journal"
ERRORS_NAME = "errors.jsonl"


class Progress(msgspec.Struct, kw_only=True):
    """How far a run is: items done of total, trajectories written, successes, failed items
    (left pending), and why the run stopped early (``stopped``: the endpoint is down)."""

    done: int = 0
    total: int = 0
    resumed: int = 0
    trajectories: int = 0
    successes: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    stopped: str | None = None

    @property
    def pending(self) -> int:
        """Items neither done now nor before: failed, or never started."""
        return self.total - self.done - self.resumed


ProgressCallback = Callable[[Progress], None]


class Runner:
    """Generates a run's trajectories into ``out`` (resuming whatever was done before).

    On a distributed ``engine`` (default: the active one) the episodes run in chunks on its
    ``workers`` (default: all of them, see :mod:`trajforge.run.chunks`); this process
    journals and publishes the shards either way."""

    def __init__(
        self,
        spec: RunSpec,
        out: str | Path,
        *,
        on_progress: ProgressCallback | None = None,
        llm_hooks: LLMHooks | None = None,
        engine: Engine | None = None,
        workers: int | None = None,
        approver: Approver | None = None,
    ) -> None:
        self.spec = spec
        self.out = Path(out)
        self.on_progress = on_progress
        self.llm_hooks = llm_hooks
        self.engine = engine or active_engine()
        self.workers = workers
        self.progress = Progress(total=spec.total)
        self._journals: dict[int, Journal] = {}
        self._done: dict[int, set[int]] = {}  # by shard: items journaled here or in segments
        self._manifest = Manifest(format=spec.format, shard_size=spec.shard_size)
        if approver is not None and self.engine.distributed:
            raise ConfigError(
                "live approvals wait in this process: they need the local engine",
                path="--approver",
                hint="run with --engine local, or without --approver",
            )
        self._episodes = EpisodeMaker(spec, llm_hooks, approver)
        self._started = 0.0

    # -- set-up and resume ---------------------------------------------------------------------

    def _claim_directory(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        spec_path = self.out / SPEC_NAME
        encoded = msgspec.json.format(msgspec.json.encode(self.spec), indent=2) + b"\n"
        if spec_path.exists():
            if spec_path.read_bytes() != encoded and not self._continues(spec_path):
                raise ConfigError(
                    f"{self.out} holds a different run",
                    file=str(spec_path),
                    hint="use another --out, or delete the directory to start over",
                )
            # a run killed while publishing a shard or the manifest leaves its temporary file
            remove_temp_files(self.out)
            if (self.out / JOURNALS).is_dir():  # and one killed in a worker, a segment's
                remove_temp_files(self.out / JOURNALS)
        elif any(self.out.iterdir()):
            raise ConfigError(
                f"{self.out} is not empty and holds no trajforge run",
                hint="choose an empty or new --out directory",
            )
        else:
            with atomic_write(spec_path) as f:
                f.write(encoded)
        if (self.out / MANIFEST_NAME).exists():
            self._manifest = Manifest.load(self.out)
            self._manifest.verify(self.out)

    def _continues(self, spec_path: Path) -> bool:
        """Whether this run's spec continues the one in ``spec_path`` (``same_run``)."""
        try:
            before = msgspec.json.decode(spec_path.read_bytes(), type=RunSpec)
        except msgspec.DecodeError:
            return False
        return same_run(before, self.spec)

    def _shard_count(self) -> int:
        return -(-self.spec.total // self.spec.shard_size)

    def _shard_items(self, shard: int) -> range:
        size = self.spec.shard_size
        return range(shard * size, min((shard + 1) * size, self.spec.total))

    def _pending_items(self) -> Iterator[int]:
        published = {s.file for s in self._manifest.shards}
        for shard in range(self._shard_count()):
            if shard_name(shard, self.spec.format) in published:
                self.progress.resumed += len(self._shard_items(shard))
                continue
            journal = Journal(self.out / JOURNALS / f"part-{shard:05d}.jsonl")
            done = set(journal.load())
            done.update(load_segments(segment_files(self.out / JOURNALS, shard)))
            self._journals[shard] = journal
            self._done[shard] = done
            self.progress.resumed += len(done)
            for i in self._shard_items(shard):
                if i not in done:
                    yield i

    # -- episodes ------------------------------------------------------------------------------

    async def _run_item(self, item: WorkItem) -> list[bytes]:
        episode = await self._episodes.run(item)
        self.progress.successes += episode.success
        return episode.lines

    def _record_error(self, index: int, exc: Exception) -> None:
        """Count a failed item and say why in ``errors.jsonl``; it stays pending."""
        down = str(exc) if isinstance(exc, EndpointDownError) else None
        self._record_failure(error_entry(index, exc), down)

    def _record_failure(self, entry: dict[str, Any], down: str | None) -> None:
        """Count a failed item (``down``: its endpoint is down) and write ``entry``."""
        self.progress.errors += 1
        if down is not None and self.progress.stopped is None:
            self.progress.stopped = down
        path = self.out / ERRORS_NAME
        try:
            with open(path, "ab") as f:
                f.write(msgspec.json.encode(entry) + b"\n")
        except OSError as failed:  # a full disk, say: the error names the file
            raise write_error(path, failed) from failed

    # -- shards --------------------------------------------------------------------------------

    def _finish_item(self, index: int, lines: list[bytes], *, segmented: int = 0) -> None:
        """Journal a finished item (``segmented``: the trajectories a worker's segment holds
        instead of ``lines``), and publish its shard if that was the last one missing."""
        shard = index // self.spec.shard_size
        if not segmented:
            self._journals[shard].append(index, lines)
        done = self._done[shard]
        done.add(index)
        self.progress.done += 1
        self.progress.trajectories += segmented or len(lines)
        if len(done) == len(self._shard_items(shard)):
            self._publish(shard)

    def _publish(self, shard: int) -> None:
        """Write a shard whose items are all journaled (here or in segments)."""
        segments = segment_files(self.out / JOURNALS, shard)
        stored = load_segments(segments) | self._journals[shard].entries
        lines = [line for i in self._shard_items(shard) for line in stored[i]]
        self._published(shard, write_shard(self.out, shard, self.spec.format, lines), segments)

    def _published(self, shard: int, info: ShardInfo, segments: list[Path]) -> None:
        """Add a written shard to the manifest; its journal and segments are done with."""
        self._manifest.add(info)
        self._manifest.shards.sort(key=lambda s: s.file)
        self._manifest.save(self.out)
        self._journals.pop(shard).remove()
        del self._done[shard]
        remove_segments(segments)

    # -- the run -------------------------------------------------------------------------------

    async def run(self) -> Progress:
        """Run (or resume) every pending item; returns the final progress (its ``errors`` and
        ``pending`` say what a rerun has left to do). An LLM endpoint that cannot serve fails
        the run before it claims ``out``. Cancelled (Ctrl-C under ``asyncio.run``), it stops
        within the items in flight, each journaled whole or not at all; ``self.progress`` says
        how far it got, and a later run resumes it."""
        if self.llm_hooks is not None and self._uses_llm():
            await self.llm_hooks.preflight(self.spec)
        self._claim_directory()
        (self.out / ERRORS_NAME).unlink(missing_ok=True)  # its items are pending: tried again
        self._started = time.monotonic()
        pending = self._pending_items()
        todo = list(pending)
        for shard in list(self._journals):
            if len(self._done[shard]) == len(self._shard_items(shard)):
                self._publish(shard)
        self._report()
        if self.engine.distributed:
            try:
                self._run_on_engine(todo)
            finally:
                self._close_journals()
            return self._finish()
        queue = iter(todo)

        async def worker() -> None:
            for index in queue:
                if self.progress.stopped is not None:
                    break
                try:
                    lines = await self._run_item(make_item(self.spec, index))
                except Exception as exc:  # a failed episode must not sink the run
                    self._record_error(index, exc)
                else:
                    self._finish_item(index, lines)
                self._report()
                # an expert's episode never suspends: without this, one worker would run every
                # item in one go, and a cancellation (Ctrl-C) would wait for the whole run
                await asyncio.sleep(0)

        try:
            await asyncio.gather(*(worker() for _ in range(self.spec.concurrency)))
        finally:  # cancelled too: the unfinished shards' journals stay, closed
            self._close_journals()
        return self._finish()

    def _run_on_engine(self, todo: list[int]) -> None:
        """The pending items in chunks on the engine's workers, which journal them in segments
        (or send them here to be journaled)."""
        uses_llm = self._uses_llm()
        endpoints = [self.spec.llm.base_url] if self.spec.llm and uses_llm else []
        gates = self.engine.endpoint_gates(endpoints, self.spec.concurrency)
        place = SegmentPlace.claim(self.out / JOURNALS)
        work = chunks.EpisodeChunk(
            self.spec, llm=self.llm_hooks is not None, gates=gates, place=place
        )
        workers = self.workers or self.engine.default_workers()
        whole = all(len(self._done[s]) == 0 for s in self._journals)  # todo: whole shards
        size = self.spec.shard_size if whole else None
        chunk = chunks.chunk_size(len(todo), workers, llm=uses_llm, whole_shards=size)
        planned = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
        done = self.engine.map_chunks(work, planned, workers=workers, chunk=1)
        try:
            for chunk_result in chain.from_iterable(done):
                self._take(chunk_result)
                self._report()
                if self.progress.stopped is not None:
                    break
        finally:
            place.release()

    def _take(self, chunk: chunks.ChunkResult) -> None:
        """Account for a chunk a worker ran (and, if it published its shard, record that)."""
        for result in chunk.items:
            if result.error is not None:
                self._record_failure(result.error, result.down)
                continue
            self.progress.successes += result.success
            if chunk.published is None:
                self._finish_item(result.index, result.lines, segmented=result.segmented)
            else:  # its shard is recorded whole below
                self.progress.done += 1
                self.progress.trajectories += result.segmented
        if chunk.published is not None:
            shard = chunk.items[0].index // self.spec.shard_size
            sync_file(self.out / chunk.published.file)  # the worker left that to this process
            self._published(shard, chunk.published, [])

    def _close_journals(self) -> None:
        for journal in self._journals.values():
            journal.close()

    def _finish(self) -> Progress:
        self._manifest.complete = len(self._manifest.shards) == self._shard_count()
        self._manifest.save(self.out)
        self._report()
        return self.progress

    def _uses_llm(self) -> bool:
        return any("llm" in (mix.agent, mix.user) for mix in self.spec.mix)

    def _report(self) -> None:
        self.progress.elapsed_s = time.monotonic() - self._started
        if self.on_progress is not None:
            self.on_progress(self.progress)
