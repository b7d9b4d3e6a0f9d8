"""The batch runner on the toy environment: shards, manifest, resume, branching, mixes."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents.test_scripted import CounterExpert
from tests.envs.toy_env import CounterEnv
from trajforge.envs.registry import ENVIRONMENTS, get_spec
from trajforge.envs.spec import EnvironmentSpec
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories
from trajforge.io.manifest import Manifest
from trajforge.run.runner import Runner
from trajforge.run.spec import RunSpec, spec_from_flags


@pytest.fixture(autouse=True)
def _toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    ENVIRONMENTS.add("counter", EnvironmentSpec(CounterEnv, CounterExpert))
    original = CounterEnv.generate_task.__func__  # type: ignore[attr-defined]

    def with_colour(cls: type[CounterEnv], seed: int, difficulty: int):  # type: ignore[no-untyped-def]
        task = original(cls, seed, difficulty)
        task.hidden_info["colour"] = "green"
        return task

    monkeypatch.setattr(CounterEnv, "generate_task", classmethod(with_colour))
    yield
    ENVIRONMENTS.remove("counter")


def spec(**overrides: object) -> RunSpec:
    mix = {"env": "counter", "tasks": 23, "faults": "flaky", "mistakes": 0.2}
    mix.update(overrides.pop("mix", {}))  # type: ignore[arg-type]
    data = {"mix": [mix], "seed": 5, "shard_size": 5, "concurrency": 4, "format": "jsonl"}
    data.update(overrides)
    return spec_from_flags(data)


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def test_run_writes_shards_and_a_complete_manifest(tmp_path: Path) -> None:
    progress = asyncio.run(Runner(spec(), tmp_path / "out").run())
    assert (progress.done, progress.errors) == (23, 0)
    manifest = Manifest.load(tmp_path / "out")
    assert manifest.complete
    assert [s.count for s in manifest.shards] == [5, 5, 5, 5, 3]
    trajectories = list(read_trajectories(tmp_path / "out"))
    assert len({t.id for t in trajectories}) == 23
    assert all(t.provenance.generator and t.provenance.generator.seed for t in trajectories)
    document = get_spec("counter").policy_document  # through the mistake injector, too
    assert all(t.system_prompt == document for t in trajectories)
    assert any(
        label.name == "injected_mistake"
        for t in trajectories
        for s in t.steps
        for label in s.labels
    )
    assert not (tmp_path / "out" / ".journal").exists() or not any(
        (tmp_path / "out" / ".journal").iterdir()
    )


def test_same_spec_gives_the_same_bytes_and_concurrency_does_not_matter(tmp_path: Path) -> None:
    asyncio.run(Runner(spec(), tmp_path / "a").run())
    asyncio.run(Runner(spec(concurrency=1), tmp_path / "b").run())
    a, b = digest(tmp_path / "a"), digest(tmp_path / "b")
    a.pop("run.json")
    b.pop("run.json")
    assert a == b


def test_resume_from_a_journal_and_partial_shards(tmp_path: Path) -> None:
    full = tmp_path / "full"
    asyncio.run(Runner(spec(), full).run())
    partial = tmp_path / "partial"
    runner = Runner(spec(), partial)
    calls = 0
    real = runner._run_item

    async def crash_after_eleven(item):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > 11:
            raise KeyboardInterrupt  # a hard stop, not an episode error
        return await real(item)

    runner._run_item = crash_after_eleven  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(runner.run())
    # Finalise the interrupted episodes now: collected later, inside an ast.parse (pytest's
    # assertion rewriting of a module imported after the test), they make CPython 3.11.7 raise
    # "AST constructor recursion depth mismatch".
    gc.collect()
    assert not Manifest.load(partial).complete
    # what a kill while publishing a shard leaves: its temporary file, never renamed
    (partial / ".part-00002.jsonl.0123abcd.tmp").write_bytes(b"")
    resumed = asyncio.run(Runner(spec(), partial).run())
    assert resumed.resumed == 11
    assert resumed.done == 12
    assert digest(partial) == digest(full)


def test_a_failed_episode_stays_pending_and_a_rerun_retries_only_it(tmp_path: Path) -> None:
    """A bug in some episodes (not the endpoint) loses nothing: they are not journaled as done,
    the manifest stays incomplete, errors.jsonl has the tracebacks, and the next run does exactly
    those episodes, ending with the bytes of a run that never failed."""
    full = tmp_path / "full"
    asyncio.run(Runner(spec(), full).run())
    broken = tmp_path / "broken"
    runner = Runner(spec(), broken)
    real = runner._run_item

    async def buggy(item):  # type: ignore[no-untyped-def]
        if item.index % 4 == 1:
            raise ZeroDivisionError("a bug in the episode")
        return await real(item)

    runner._run_item = buggy  # type: ignore[method-assign]
    first = asyncio.run(runner.run())
    assert (first.done, first.errors, first.pending) == (17, 6, 6)
    assert not Manifest.load(broken).complete
    assert len(Manifest.load(broken).shards) == 0  # every shard of 5 has a failed item
    entries = [json.loads(line) for line in (broken / "errors.jsonl").read_text().splitlines()]
    assert sorted(e["item"] for e in entries) == [1, 5, 9, 13, 17, 21]
    assert {e["kind"] for e in entries} == {"episode"}
    assert all("a rerun of the same command retries this item" in e["pending"] for e in entries)
    assert all("ZeroDivisionError: a bug in the episode" in e["traceback"] for e in entries)
    second = asyncio.run(Runner(spec(), broken).run())
    assert (second.done, second.resumed, second.errors, second.pending) == (6, 17, 0, 0)
    assert digest(broken) == digest(full)  # errors.jsonl is gone: its items are done


def test_a_cancelled_run_stops_at_once_and_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    # what Ctrl-C does under asyncio.run; the expert's episodes never suspend, and yet the run
    # must stop at the next item, not after the last one
    full = tmp_path / "full"
    asyncio.run(Runner(spec(), full).run())
    partial = tmp_path / "partial"
    runner = Runner(spec(), partial)

    async def cancel_at_seven() -> None:
        run = asyncio.create_task(runner.run())
        runner.on_progress = lambda progress: run.cancel() if progress.done == 7 else None
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(cancel_at_seven())
    assert runner.progress.done == 7
    assert not Manifest.load(partial).complete
    resumed = asyncio.run(Runner(spec(), partial).run())
    assert (resumed.resumed, resumed.done) == (7, 16)
    assert digest(partial) == digest(full)


def test_a_different_run_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    asyncio.run(Runner(spec(), tmp_path / "out").run())
    with pytest.raises(ConfigError, match="holds a different run"):
        asyncio.run(Runner(spec(seed=6), tmp_path / "out").run())


def test_branches_fork_with_parent_ids_and_shared_prefixes(tmp_path: Path) -> None:
    run = spec(branch_at=[1, 2], branches=2, mix={"mistakes": 0.0, "faults": "none"})
    asyncio.run(Runner(run, tmp_path / "out").run())
    trajectories = {t.id: t for t in read_trajectories(tmp_path / "out")}
    parents = [t for t in trajectories.values() if t.provenance.parent_id is None]
    children = [t for t in trajectories.values() if t.provenance.parent_id is not None]
    assert len(parents) == 23
    assert len(children) == 23 * 2 * 2
    for child in children:
        parent = trajectories[child.provenance.parent_id or ""]
        k = child.provenance.branch_step or 0
        assert child.steps[:k] == parent.steps[:k]
        assert child.steps[k] != parent.steps[k]  # the branch diverges at k
        assert any(label.name == "injected_mistake" for label in child.steps[k].labels)


def test_mix_shares_split_the_total() -> None:
    run = spec_from_flags(
        {
            "tasks": 10,
            "mix": [
                {"env": "counter", "share": 0.5},
                {"env": "counter", "share": 0.3},
                {"env": "counter", "share": 0.2, "faults": "hostile"},
            ],
        }
    )
    assert run.counts() == [5, 3, 2]
    with pytest.raises(ConfigError, match="unknown fault profile"):
        spec_from_flags({"mix": [{"env": "counter", "tasks": 1, "faults": "chaos"}]})
    with pytest.raises(ConfigError, match="unknown environment"):
        spec_from_flags({"mix": [{"env": "mars", "tasks": 1}]})
