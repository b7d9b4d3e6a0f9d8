"""The Ray engine's datasets are the local engine's, byte for byte."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from tests.conftest import Outcome
from tests.ray.conftest import branched_spec
from trajforge.engine import Engine
from trajforge.grade import RuleGrader, select_rules
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.process import ProcessLabelStage, make_options
from trajforge.io.manifest import Manifest
from trajforge.pipeline.job import run_job
from trajforge.pipeline.stage import Stage
from trajforge.run import runner as runner_module
from trajforge.run.journal import Journal
from trajforge.run.runner import JOURNALS, Progress, Runner

pytestmark = pytest.mark.ray


def _files(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir()) if p.is_file()}


def test_generation_with_branches_is_identical(
    ray_engine: Engine, generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    progress = asyncio.run(Runner(branched_spec(), out, engine=ray_engine, workers=2).run())
    assert (progress.done, progress.pending) == (24, 0)
    assert _files(out) == _files(generated)
    lines = b"".join(p.read_bytes() for p in sorted(out.glob("part-*"))).splitlines()
    branches = [json.loads(line) for line in lines if b'"parent_id":"' in line]
    assert len(branches) > 24  # forks made, next to their parents in the same shard


def test_workers_journal_the_episodes_themselves(
    ray_engine: Engine, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_driver_journal(*args: object) -> None:
        raise AssertionError("an episode came back to the driver to be journaled")

    monkeypatch.setattr(Journal, "append", no_driver_journal)  # in the driver only
    out = tmp_path / "run"
    asyncio.run(Runner(branched_spec(), out, engine=ray_engine, workers=2).run())
    assert _files(out) == _files(generated)
    assert not list((out / JOURNALS).iterdir())  # segments published and removed


def test_workers_publish_the_shards_their_tasks_are(
    ray_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_shards = msgspec.structs.replace(branched_spec(), shard_size=3)  # 8 shards, 4 a worker
    local = tmp_path / "local"
    asyncio.run(Runner(small_shards, local).run())

    def no_driver_shard(*args: object) -> None:
        raise AssertionError("the driver wrote a shard")

    monkeypatch.setattr(runner_module, "write_shard", no_driver_shard)  # in the driver only
    monkeypatch.setattr(Journal, "append", no_driver_shard)
    out = tmp_path / "run"
    asyncio.run(Runner(small_shards, out, engine=ray_engine, workers=2).run())
    assert _files(out) == _files(local)
    assert len(list(out.glob("part-*"))) == 8


class _StopDriverError(Exception):
    pass


def test_a_driver_stopped_midway_resumes_to_the_same_dataset(
    ray_engine: Engine, generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"

    def stop_after_ten(progress: Progress) -> None:
        if progress.done >= 10:
            raise _StopDriverError

    with pytest.raises(_StopDriverError):
        asyncio.run(
            Runner(branched_spec(), out, engine=ray_engine, on_progress=stop_after_ten).run()
        )
    # stopped before the end (a shard a worker had in hand may have been published meanwhile)
    assert len(Manifest.load(out).shards) < 3
    progress = asyncio.run(Runner(branched_spec(), out, engine=ray_engine).run())
    assert progress.resumed >= 10
    assert progress.pending == 0
    assert _files(out) == _files(generated)


def _grading(engine: Engine | None) -> list[Stage]:
    options = make_options(rollouts=2, mistakes=0.2, seed=5)
    rollouts = ProcessLabelStage(options, workers=2 if engine else 1, engine=engine)
    return [RuleGrader(select_rules("all")), rollouts, ScoreStage()]


def test_grading_with_rollouts_is_identical(
    ray_engine: Engine, generated: Path, tmp_path: Path
) -> None:
    local = run_job(str(generated), str(tmp_path / "local.jsonl"), _grading(None))
    on_ray = run_job(
        str(generated), str(tmp_path / "ray.jsonl"), _grading(ray_engine), engine=ray_engine
    )
    graded = (tmp_path / "ray.jsonl").read_bytes()
    assert graded == (tmp_path / "local.jsonl").read_bytes()
    assert b'"kind":"rollout"' in graded
    assert on_ray.report == local.report  # every stage's counts, merged from the workers


DEDUP = "[dedup]\nexact = true\nnear = true\nthreshold = 0.5\n"


def test_curation_with_near_dedup_is_identical(
    ray_engine: Engine, generated: Path, tmp_path: Path, trajforge: Callable[..., Outcome]
) -> None:
    config = tmp_path / "dedup.toml"
    config.write_text(DEDUP)
    for name, engine in (("local", "local"), ("ray", "ray")):
        done = trajforge(
            "curate", generated, "--config", config, "--out", tmp_path / f"{name}.jsonl",
            "--engine", engine,
        )  # fmt: skip
        assert done.code == 0, done.stderr
    for suffix in (".jsonl", ".jsonl.excluded.jsonl"):
        assert (tmp_path / f"ray{suffix}").read_bytes() == (
            tmp_path / f"local{suffix}"
        ).read_bytes()
    local, ray = (
        json.loads((tmp_path / f"{n}.jsonl.curation.json").read_text()) for n in ("local", "ray")
    )
    assert ray["steps"] == local["steps"]
    assert local["steps"][0]["removed"]["near duplicate"] > 0  # the clusters were put to the test


def test_export_is_identical(
    ray_engine: Engine, generated: Path, tmp_path: Path, trajforge: Callable[..., Outcome]
) -> None:
    source = tmp_path / "with-a-bad-line.jsonl"
    good = b"".join(p.read_bytes() for p in sorted(generated.glob("part-*")))
    source.write_bytes(b'{"id": 3}\n' + good)
    for engine in ("local", "ray"):
        done = trajforge(
            "export", "openai-ft", source, tmp_path / f"{engine}.jsonl", "--engine", engine
        )
        assert done.code == 0, done.stderr
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    cards = [
        (tmp_path / f"{e}.jsonl.card.md").read_text().replace(e, "OUT") for e in ("local", "ray")
    ]
    assert cards[0] == cards[1]
    quarantined = [
        (tmp_path / f"{e}.jsonl.quarantine.jsonl").read_bytes() for e in ("local", "ray")
    ]
    assert quarantined[0] == quarantined[1]
    assert quarantined[0].count(b"\n") == 1


def test_verification_is_identical(
    ray_engine: Engine, generated: Path, tmp_path: Path, trajforge: Callable[..., Outcome]
) -> None:
    source = tmp_path / "with-a-bad-line.jsonl"
    good = b"".join(p.read_bytes() for p in sorted(generated.glob("part-*")))
    source.write_bytes(good + b'{"id": 3}\n')
    tables = []
    for engine in ("local", "ray"):
        done = trajforge(
            "verify", source, "--out", tmp_path / f"{engine}.jsonl", "--engine", engine
        )
        assert done.code == 0, done.stderr
        # the stage table's times are the only thing that may differ
        tables.append(re.sub(r"\d+\.\d\d s", "T", done.stdout.replace(engine, "OUT")))
    verified = (tmp_path / "ray.jsonl").read_bytes()
    assert verified == (tmp_path / "local.jsonl").read_bytes()
    records = [json.loads(line) for line in verified.splitlines()]
    assert len(records) == good.count(b"\n")
    assert all(r["provenance"]["stages"][-1]["name"] == "verify" for r in records)
    assert tables[0] == tables[1]  # the label and stage counts, merged from the workers
    quarantined = [
        (tmp_path / f"{e}.jsonl.quarantine.jsonl").read_bytes() for e in ("local", "ray")
    ]
    assert quarantined[0] == quarantined[1]
    assert quarantined[0].count(b"\n") == 1
