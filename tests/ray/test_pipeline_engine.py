"""A pipeline config's ``engine = "ray"`` runs every stage on the cluster and writes the same
files as the local engine."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.test_run_pipeline import CONFIG
from trajforge.engine import Engine
from trajforge.engine.storage import TOKEN_NAME
from trajforge.errors import ConfigError
from trajforge.pipeline import shard_tasks
from trajforge.pipeline.config import pipeline_config
from trajforge.pipeline.job import JobResult, run_job
from trajforge.pipeline.run_pipeline import run_pipeline
from trajforge.pipeline.run_pipeline_state import STATE_NAME


def run(tmp_path: Path, name: str, config: str = CONFIG, **top: str) -> Path:
    data = {**tomllib.loads(config), **top}
    out = tmp_path / name
    run_pipeline(pipeline_config(data, file="pipe.toml", base=tmp_path), out)
    return out


def contents(out: Path) -> dict[str, bytes]:
    """Every file a run wrote (but the stages' own records), its folder's path made neutral
    (cards and the curation report name the files they read)."""
    return {
        str(p.relative_to(out)): p.read_bytes().replace(str(out).encode(), b"RUN")
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in (STATE_NAME, "pipeline.json")
    }


def test_a_pipeline_on_ray_writes_what_the_local_engine_writes(
    ray_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = run(tmp_path, "local")
    engines: list[str] = []  # what the verify and grade shards ran on

    def spied(*args: Any, **kwargs: Any) -> JobResult:
        engines.append(type(kwargs["engine"]).__name__)
        return run_job(*args, **kwargs)

    monkeypatch.setattr(shard_tasks, "run_job", spied)
    on_ray = run(tmp_path, "ray", engine="ray")
    assert engines
    assert set(engines) == {type(ray_engine).__name__}
    assert contents(on_ray) == contents(local)
    assert any(name.startswith("05-export/") for name in contents(local))


def test_with_a_few_shards_a_worker_each_a_shard_is_a_task_that_reads_and_writes_it(
    ray_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CONFIG.replace("shard_size = 4", "shard_size = 1")  # 7 shards for 2 workers
    local = run(tmp_path, "local", config)

    def no_job_here(*args: Any, **kwargs: Any) -> JobResult:
        raise AssertionError("a shard's job ran in the driver")

    monkeypatch.setattr(shard_tasks, "run_job", no_job_here)  # in the driver only
    on_ray = run(tmp_path, "ray", config, engine="ray")
    assert contents(on_ray) == contents(local)
    assert len(list((on_ray / "03-grade" / "data").glob("part-*"))) == 7
    assert not list(on_ray.rglob(TOKEN_NAME))


def test_an_address_without_the_ray_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="address is for the ray engine"):
        run(tmp_path, "local", address="auto")
