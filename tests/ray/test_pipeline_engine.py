"""A pipeline config's ``engine = "ray"`` runs every stage on the cluster and writes the same
files as the local engine."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.test_run_pipeline import CONFIG
from trajforge.engine import Engine
from trajforge.errors import ConfigError
from trajforge.pipeline import run_pipeline_stages
from trajforge.pipeline.config import pipeline_config
from trajforge.pipeline.job import JobResult, run_job
from trajforge.pipeline.run_pipeline import run_pipeline
from trajforge.pipeline.run_pipeline_state import STATE_NAME


def run(tmp_path: Path, name: str, **top: str) -> Path:
    data = {**tomllib.loads(CONFIG), **top}
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

    monkeypatch.setattr(run_pipeline_stages, "run_job", spied)
    on_ray = run(tmp_path, "ray", engine="ray")
    assert engines
    assert set(engines) == {type(ray_engine).__name__}
    assert contents(on_ray) == contents(local)
    assert any(name.startswith("05-export/") for name in contents(local))


def test_an_address_without_the_ray_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="address is for the ray engine"):
        run(tmp_path, "local", address="auto")
