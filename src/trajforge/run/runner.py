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
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import msgspec

from trajforge import __version__
from trajforge.agents.base import Policy
from trajforge.agents.registry import PolicyMaker, expert_for, with_mistakes
from trajforge.agents.users import ScriptedUser
from trajforge.envs.approval import Approver, Gate, approval_rules
from trajforge.envs.base import Environment, EnvironmentLike
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import get_environment
from trajforge.errors import ConfigError, EndpointDownError, EndpointError
from trajforge.io import write_lines, write_trajectories
from trajforge.io._oserror import write_error
from trajforge.io.atomic import atomic_write, remove_temp_files
from trajforge.io.manifest import MANIFEST_NAME, Manifest, ShardInfo, sha256_file
from trajforge.io.shards import shard_name
from trajforge.run.branching import BranchingEpisode
from trajforge.run.episode import EpisodeRecorder, User
from trajforge.run.items import WorkItem, agent_label, make_item
from trajforge.run.journal import Journal
from trajforge.run.spec import MixSpec, RunSpec, same_run
from trajforge.schema import Generator, StageRecord, TrajectoryDecoder, encode

SPEC_NAME = "run.json"
JOURNALS = ".journal"
ERRORS_NAME = "errors.jsonl"


class LLMHooks(NamedTuple):
    """Makes the LLM agent and user of a mix, and checks the run's endpoint before the first
    episode (``trajforge.run.llm_hooks``, with the optional ``llm`` extra)."""

    agent: Callable[[RunSpec, MixSpec], PolicyMaker]
    user: Callable[[RunSpec, MixSpec, WorkItem], User]
    preflight: Callable[[RunSpec], Awaitable[None]]


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
    """Generates a run's trajectories into ``out`` (resuming whatever was done before)."""

    def __init__(
        self,
        spec: RunSpec,
        out: str | Path,
        *,
        on_progress: ProgressCallback | None = None,
        llm_hooks: LLMHooks | None = None,
        approver: Approver | None = None,
    ) -> None:
        self.spec = spec
        self.approver = approver
        self.out = Path(out)
        self.on_progress = on_progress
        self.llm_hooks = llm_hooks
        self.progress = Progress(total=spec.total)
        self._journals: dict[int, Journal] = {}
        self._manifest = Manifest(format=spec.format, shard_size=spec.shard_size)
        self._makers: dict[int, PolicyMaker] = {}
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
            done = journal.load()
            self._journals[shard] = journal
            self.progress.resumed += len(done)
            for i in self._shard_items(shard):
                if i not in done:
                    yield i

    # -- episodes ------------------------------------------------------------------------------

    def _policy_maker(self, mix_index: int, mix: MixSpec) -> PolicyMaker:
        if mix_index not in self._makers:
            if mix.agent == "llm":
                if self.llm_hooks is None:
                    raise ConfigError("LLM agents need the 'llm' extra: pip install trajforge[llm]")
                base = self.llm_hooks.agent(self.spec, mix)
            else:
                base = expert_for(mix.env)
            tools = get_environment(mix.env).tools
            self._makers[mix_index] = with_mistakes(
                base,
                rate=mix.mistakes,
                recover=mix.recover,
                read_only=frozenset(name for name, t in tools.items() if t.read_only),
                always=bool(self.spec.branches),
            )
        return self._makers[mix_index]

    def _user(self, item: WorkItem) -> User:
        if item.mix.user == "llm" and self.llm_hooks is not None:
            return self.llm_hooks.user(self.spec, item.mix, item)
        return ScriptedUser(item.task, get_environment(item.mix.env).hidden_info_keys)

    async def _run_item(self, item: WorkItem) -> list[bytes]:
        cls = get_environment(item.mix.env)
        maker = self._policy_maker(item.mix_index, item.mix)
        model = self.spec.llm.model if item.mix.agent == "llm" and self.spec.llm else None
        generator = Generator(policy=agent_label(item.mix), model=model, seed=item.seed)

        def make_env() -> EnvironmentLike:
            return make_environment(cls, item.mix.faults)

        def make_recorder(env: EnvironmentLike, trajectory_id: str) -> EpisodeRecorder:
            return EpisodeRecorder(
                env,
                item.task,
                trajectory_id=trajectory_id,
                user=self._user(item),
                seed=item.seed,
                generator=generator,
                fault_profile=item.mix.faults,
                gate=self._gate(cls),
            )

        def make_policy(env: EnvironmentLike) -> Policy:
            return maker(item.task, env.tool_specs(), item.seed)

        episode = BranchingEpisode(
            make_env,
            make_policy,
            make_recorder,
            trajectory_id=item.trajectory_id,
            seed=item.seed,
            budget=self.spec.budget,
            branch_at=self.spec.branch_at,
            branches=self.spec.branches,
        )
        trajectories = await episode.run()
        stage = StageRecord(name="generate", version=__version__)
        for t in trajectories:
            t.provenance.stages.append(stage)
        if trajectories[0].outcome.status == "success":
            self.progress.successes += 1
        return [encode(t) for t in trajectories]

    def _gate(self, cls: type[Environment]) -> Gate | None:
        """What holds the calls that need a human's approval, when there is an approver."""
        if self.approver is None:
            return None
        return Gate(self.approver, approval_rules(cls.policy_rules))

    def _record_error(self, index: int, exc: Exception) -> None:
        """Count a failed item and say why in ``errors.jsonl``; it stays pending."""
        self.progress.errors += 1
        if isinstance(exc, EndpointDownError) and self.progress.stopped is None:
            self.progress.stopped = str(exc)
        entry: dict[str, object] = {"item": index, "error": f"{type(exc).__name__}: {exc}"}
        if isinstance(exc, EndpointError):
            entry["kind"] = "endpoint"
            entry["pending"] = "a rerun of the same command retries this item"
        else:  # a bug: retrying loses nothing, and the traceback says where to look
            entry["kind"] = "episode"
            entry["pending"] = (
                "a rerun of the same command retries this item; if it fails the same way, "
                "the traceback points at a bug"
            )
            entry["traceback"] = traceback.format_exc(limit=-8)
        path = self.out / ERRORS_NAME
        try:
            with open(path, "ab") as f:
                f.write(msgspec.json.encode(entry) + b"\n")
        except OSError as failed:  # a full disk, say: the error names the file
            raise write_error(path, failed) from failed

    # -- shards --------------------------------------------------------------------------------

    def _finish_item(self, index: int, lines: list[bytes]) -> None:
        shard = index // self.spec.shard_size
        journal = self._journals[shard]
        journal.append(index, lines)
        self.progress.done += 1
        self.progress.trajectories += len(lines)
        if len(journal.entries) == len(self._shard_items(shard)):
            self._publish(shard)

    def _publish(self, shard: int) -> None:
        journal = self._journals.pop(shard)
        lines = [line for i in self._shard_items(shard) for line in journal.entries[i]]
        name = shard_name(shard, self.spec.format)
        path = self.out / name
        if self.spec.format == "parquet":
            decoder = TrajectoryDecoder()
            write_trajectories(path, (decoder.decode(line) for line in lines))
        else:
            write_lines(path, lines)
        ids = [msgspec.json.decode(line, type=_IdOnly).id for line in (lines[:1] + lines[-1:])]
        self._manifest.add(
            ShardInfo(
                file=name,
                count=len(lines),
                sha256=sha256_file(path),
                first_id=ids[0] if ids else None,
                last_id=ids[-1] if ids else None,
            )
        )
        self._manifest.shards.sort(key=lambda s: s.file)
        self._manifest.save(self.out)
        journal.remove()

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
            if len(self._journals[shard].entries) == len(self._shard_items(shard)):
                self._publish(shard)
        self._report()
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
            for journal in self._journals.values():
                journal.close()
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


class _IdOnly(msgspec.Struct):
    id: str
