"""A pipeline run (``trajforge run``): the stages of a pipeline config, each in its numbered
folder of the run directory, each resumable.

    OUT/pipeline.json        the plan: every stage, its folder, input and digest
    OUT/01-generate/         (or 01-import/) data/ with a manifest, stage.json
    OUT/02-verify/  03-grade/  04-curate/    data/, stage.json, what the stage set aside
    OUT/05-export/NAME/      one dataset per [[export]], with its card
    OUT/06-report/report.html

A stage is done when its ``stage.json`` says complete with the digest of its settings and of
every stage before it: a rerun skips it. A stage with another digest (its settings, or an
earlier stage's, changed) starts over, and so does every stage after it; one that was
interrupted resumes (generation by its journal, verify and grade by the input shards they
finished, exports by the datasets written; curation and the report start over).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol

import msgspec

from trajforge.errors import ConfigError
from trajforge.io.sources import resolve_files
from trajforge.pipeline.config import PipelineConfig
from trajforge.pipeline.run_pipeline_state import digest, load_state
from trajforge.run.spec import TRANSPORT, RunSpec

PLAN_NAME: Final = "pipeline.json"
#: The stages in the order they run; the first is where the trajectories come from.
STAGES: Final = ("source", "verify", "grade", "review", "curate", "export", "report")
#: Stages whose output is trajectories that the next stage reads.
_MAKES_DATA: Final = frozenset({"generate", "import", "verify", "grade", "review", "curate"})

Status = Literal["run", "resume", "done", "skip", "given"]


class Planned(msgspec.Struct, kw_only=True, frozen=True):
    """One stage of the plan: its name, folder, what it reads, what it writes, its digest and
    what a run would do with it (run it, resume it, leave it done, skip it, or read given data)."""

    number: int
    name: str
    directory: str | None
    input: str | None
    output: str | None
    digest: str
    status: Status


@dataclass
class Outcome:
    """What a run did with one stage."""

    stage: Planned
    status: Literal["ran", "resumed", "done before", "skipped", "given"]
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


class Events(Protocol):
    """What a run tells its caller (a progress display) as it goes."""

    def started(self, stage: Planned, total: int | None) -> None:
        """A stage starts, with how many items it will count (None: unknown)."""

    def advanced(self, stage: Planned, done: int) -> None:
        """``done`` items of the stage are finished."""

    def finished(self, outcome: Outcome) -> None:
        """A stage is done (or skipped)."""


class NoEvents:
    """Events nobody watches."""

    def started(self, stage: Planned, total: int | None) -> None:
        """Nothing to show."""

    def advanced(self, stage: Planned, done: int) -> None:
        """Nothing to show."""

    def finished(self, outcome: Outcome) -> None:
        """Nothing to show."""


def plan_pipeline(
    config: PipelineConfig, out: Path, from_stage: str | None = None
) -> list[Planned]:
    """What a run of ``config`` into ``out`` would do, stage by stage (``from_stage``: that
    stage and every one after it run again)."""
    names = [name for name, _, _ in _settings(config)]
    if from_stage is not None and from_stage not in names:
        raise ConfigError(
            f"no stage {from_stage!r} in this pipeline",
            path="--from-stage",
            hint=f"its stages: {', '.join(names)}",
        )
    plan: list[Planned] = []
    before, data = "", ""
    again = False
    for number, (name, settings, active) in enumerate(_settings(config), start=1):
        again = again or name == from_stage
        key = digest(name, settings, before)
        if name == "source":
            path = config.spec.source.path if config.spec.source else ""
            key = digest(name, [settings, _fingerprint(path)], before)
            plan.append(Planned(number=number, name=name, directory=None, input=None,
                                output=path, digest=key, status="given"))  # fmt: skip
            before, data = key, path
            continue
        directory = out / f"{number:02d}-{name}"
        output = str(directory / "data") if name in _MAKES_DATA else str(directory)
        status = _status(directory, key, active, again)
        again = again or status in ("run", "resume")  # what follows reads new data
        plan.append(
            Planned(number=number, name=name, directory=str(directory), input=data or None,
                    output=output, digest=key, status=status)
        )  # fmt: skip
        if active:
            before = key
            if name in _MAKES_DATA:
                data = output
    return plan


def _settings(config: PipelineConfig) -> Iterator[tuple[str, object, bool]]:
    """Each stage's name, the settings its digest covers, and whether it runs."""
    spec = config.spec
    if spec.generate is not None:
        yield "generate", _unreached(spec.generate), True
    elif spec.source is not None and spec.source.import_ is not None:
        yield "import", spec.source, True
    else:
        yield "source", spec.source, True
    yield "verify", spec.verify, spec.verify is not None and not spec.verify.skip
    yield "grade", spec.grade, spec.grade is not None and not spec.grade.skip
    if spec.review is not None:  # numbered only when there: the later folders keep their names
        review = not spec.review.skip
        yield "review", review and [spec.review, _labels_state(config)], review
    curation = config.curation
    yield "curate", curation and [curation.seed, curation.tables], curation is not None
    yield "export", spec.export, bool(spec.export)
    yield "report", spec.report, spec.report is not None and not spec.report.skip


def _labels_state(config: PipelineConfig) -> str:
    """What the review database holds now (new grades make the review stage run again). Only
    read: planning (``--dry-run`` too) never migrates or writes the database; the stage does."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415  # the review extra

    from trajforge.review.db import Database  # noqa: PLC0415  # the review extra
    from trajforge.review.exporting import labels_state  # noqa: PLC0415  # the review extra

    review = config.spec.review
    assert review is not None
    try:
        database = Database(review.db)
        try:
            return labels_state(database, review.project)
        finally:
            database.engine.dispose()
    except ConfigError as exc:
        raise ConfigError(exc.message, file=config.file, path="review", hint=exc.hint) from None
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot read the review database: {exc.__class__.__name__}",
            file=config.file,
            path="review.db",
            hint="is it a review database? `trajforge review import` or `serve` creates one",
        ) from None


def _unreached(spec: RunSpec) -> RunSpec:
    """A run's settings less how its endpoint is reached (another port is the same run)."""
    if spec.llm is None:
        return spec
    transport = {name: None for name in TRANSPORT if name != "base_url"}
    return msgspec.structs.replace(
        spec, llm=msgspec.structs.replace(spec.llm, base_url="", **transport)
    )


def _fingerprint(path: str) -> list[tuple[str, int, int]]:
    """Given data as its files' names, sizes and modification times (a changed file is new)."""
    files = [data.path for data in resolve_files(path)]
    return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]


def _status(directory: Path, key: str, active: bool, again: bool) -> Status:
    if not active:
        return "skip"
    state = None if again else load_state(directory)
    if state is None or state.digest != key:
        return "run"
    return "done" if state.complete else "resume"
