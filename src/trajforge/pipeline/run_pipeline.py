"""Running a pipeline (``trajforge run``): the plan's stages in order, each in its folder, with
what it did recorded in its ``stage.json`` (see :mod:`trajforge.pipeline.run_pipeline_plan`)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Literal

import msgspec

from trajforge.engine import engine_in_force
from trajforge.errors import ConfigError
from trajforge.io.atomic import atomic_write
from trajforge.pipeline.config import PipelineConfig
from trajforge.pipeline.run_pipeline_plan import (
    PLAN_NAME,
    Events,
    NoEvents,
    Outcome,
    Planned,
    plan_pipeline,
)
from trajforge.pipeline.run_pipeline_stages import EXECUTORS, StageContext
from trajforge.pipeline.run_pipeline_state import StageState, load_state, save_state


def run_pipeline(
    config: PipelineConfig,
    out: Path,
    *,
    from_stage: str | None = None,
    events: Events | None = None,
) -> list[Outcome]:
    """Run ``config`` into ``out``: every stage not done yet, in order (see the module)."""
    events = events or NoEvents()
    plan = plan_pipeline(config, out, from_stage)
    _claim(out, config, plan)
    outcomes = []
    spec = config.spec
    with engine_in_force(spec.engine, spec.address):
        for stage in plan:
            outcomes.append(_run_stage(config, out, stage, events))
    return outcomes


def _run_stage(config: PipelineConfig, out: Path, stage: Planned, events: Events) -> Outcome:
    """Run one stage of the plan (or say why it does not run now)."""
    outcome = _outcome(stage)
    if outcome is None:
        directory = Path(stage.directory or "")
        state = _prepared(directory, stage)
        resumed = bool(state.units or state.done) or stage.status == "resume"
        started = time.perf_counter()
        EXECUTORS[stage.name](StageContext(config, stage, directory, state, events, out))
        state.seconds += time.perf_counter() - started
        state.complete = True
        save_state(directory, state)
        status: Literal["ran", "resumed"] = "resumed" if resumed else "ran"
        outcome = Outcome(stage, status, state.seconds, state.counts)
    events.finished(outcome)
    return outcome


def _outcome(stage: Planned) -> Outcome | None:
    """The outcome of a stage that does not run now; None for one that does."""
    if stage.status == "given":
        return Outcome(stage, "given")
    if stage.status == "skip":
        return Outcome(stage, "skipped")
    if stage.status == "done":
        state = load_state(Path(stage.directory or ""))
        assert state is not None  # the plan saw it
        return Outcome(stage, "done before", state.seconds, state.counts)
    return None


def _prepared(directory: Path, stage: Planned) -> StageState:
    """The stage's state to go on from (resume), or a fresh one in an emptied folder."""
    if stage.status == "resume":
        state = load_state(directory)
        if state is not None:
            state.complete = False
            return state
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    state = StageState(stage=stage.name, digest=stage.digest)
    save_state(directory, state)
    return state


def _claim(out: Path, config: PipelineConfig, plan: list[Planned]) -> None:
    """Make ``out`` a run directory (refusing a folder with other things in it) and write the
    plan into it."""
    plan_file = out / PLAN_NAME
    if out.exists() and any(out.iterdir()) and not plan_file.exists():
        raise ConfigError(
            f"{out} is not empty and holds no pipeline run",
            hint="choose another --out, or empty the folder",
        )
    out.mkdir(parents=True, exist_ok=True)
    document = {"config": config.file, "stages": plan}
    with atomic_write(plan_file) as file:
        file.write(msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n")
