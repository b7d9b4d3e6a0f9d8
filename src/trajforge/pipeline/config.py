"""The pipeline config (``trajforge run pipeline.toml``): one file that says where trajectories
come from and what happens to them, validated before anything runs.

    [generate]              # a generation run: the keys of `trajforge generate --config`
    ...                     # or [source]: path = "runs/x" (trajforge records) or
                            #   path = "...", import = "tau-bench" (another tool's dataset)
    [verify]                # each stage runs when its table is there and has no skip = true
    [grade]
    [review]                # db = "review.db" (or a postgresql:// URL), project = "...":
                            #   the human labels of the review workspace merged back
    [curate]                # config = "curate.toml", or the curation steps inline: [curate.dedup]
    [[export]]              # one table per dataset: format = "openai-ft", name = "sft", options
    [report]

Paths in the file are relative to the file. Errors are located: ``demo.toml: grade.rollouts:
expected an integer >= 0``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from trajforge.config import read_toml
from trajforge.curate.config import CurationConfig
from trajforge.errors import ConfigError
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.registry import get_reader, get_writer
from trajforge.pipeline.config_curation import curation_config
from trajforge.run.spec import Rate, RunSpec, validate
from trajforge.schema.codec import schema_error

Positive = Annotated[int, msgspec.Meta(ge=1)]
#: A folder name of an export: letters, digits, dots, dashes and underscores.
Name = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class SourceSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Existing data to start from: trajforge records, or another tool's dataset to import."""

    path: str
    import_: str | None = msgspec.field(default=None, name="import")
    max_bad: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    shard_size: Positive = 10_000


class VerifySpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The verify stage: schemas, call/result pairing, replay, outcomes."""

    skip: bool = False
    replay: bool = True


class GradeSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The grade stage: rule labels, Monte-Carlo process labels, the score."""

    skip: bool = False
    rules: str = "all"
    rollouts: Annotated[int, msgspec.Meta(ge=0)] = 0
    rollout_mistakes: Rate = 0.1
    rollout_max_steps: Positive = 50
    seed: int = 0
    weights: str | None = None


class ReviewSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The review stage: the human labels of a review database merged onto the trajectories
    imported into it (``trajforge review import``)."""

    skip: bool = False
    db: str
    project: str | None = None


class ExportSpec(ExportOptions, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One exported dataset: its format, its folder name, and the options of ``trajforge
    export``."""

    format: str
    name: Name | None = None

    @property
    def folder(self) -> str:
        """The dataset's folder in the export stage's directory."""
        return self.name or self.format

    def options(self) -> ExportOptions:
        """The export options alone."""
        fields = ExportOptions.__struct_fields__
        return ExportOptions(**{field: getattr(self, field) for field in fields})


class ReportSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The HTML report of the run."""

    skip: bool = False
    reference: str | None = None


class PipelineSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A whole pipeline, as written (``curate`` is read into a :class:`CurationConfig`)."""

    workers: Positive | None = None  # the engine's default: 1 here, a Ray cluster's CPUs
    engine: Literal["local", "ray"] = "local"
    address: str | None = None  # an existing Ray cluster's (auto, or ray://HOST:10001)
    generate: RunSpec | None = None
    source: SourceSpec | None = None
    verify: VerifySpec | None = None
    grade: GradeSpec | None = None
    review: ReviewSpec | None = None
    curate: dict[str, Any] | None = None
    export: list[ExportSpec] = []
    report: ReportSpec | None = None


@dataclass(frozen=True)
class PipelineConfig:
    """A read pipeline config: its file, its spec (paths made absolute) and its curation."""

    file: str
    spec: PipelineSpec
    curation: CurationConfig | None


def load_pipeline_config(path: str | Path, overrides: list[str] | None = None) -> PipelineConfig:
    """Read and validate the pipeline config at ``path``, with ``overrides`` (``KEY=VALUE``,
    dotted keys, TOML values) applied first."""
    file = str(path)
    data = read_toml(path, what="the pipeline config")
    for override in overrides or ():
        apply_override(data, override)
    return pipeline_config(data, file=file, base=Path(path).parent)


def pipeline_config(data: dict[str, Any], *, file: str, base: Path) -> PipelineConfig:
    """A validated config from TOML tables (relative paths taken from ``base``)."""
    try:
        spec = msgspec.convert(data, PipelineSpec)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        raise ConfigError(error.message, file=file, path=error.path) from None
    spec = _absolute(spec, base)
    _check(spec, file)
    curation = None
    if spec.curate is not None and not spec.curate.get("skip", False):
        curation = curation_config(spec.curate, file=file, base=base)
    return PipelineConfig(file, spec, curation)


def apply_override(data: dict[str, Any], override: str) -> None:
    """Set ``a.b.c=VALUE`` in ``data`` (VALUE read as a TOML value, else as text)."""
    key, sep, text = override.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise ConfigError(f"expected KEY=VALUE with a dotted KEY, got {override!r}", path="--set")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    table = data
    for part in parts[:-1]:
        inner = table.setdefault(part, {})
        if not isinstance(inner, dict):
            raise ConfigError(f"{part!r} is not a table", path=f"--set {key}")
        table = inner
    table[parts[-1]] = value


def _absolute(spec: PipelineSpec, base: Path) -> PipelineSpec:
    def resolve(path: str | None) -> str | None:
        return None if path is None else str(base / Path(path).expanduser())

    replace = msgspec.structs.replace
    source = spec.source and replace(spec.source, path=resolve(spec.source.path) or "")
    grade = spec.grade and replace(spec.grade, weights=resolve(spec.grade.weights))
    report = spec.report and replace(spec.report, reference=resolve(spec.report.reference))
    review = spec.review and replace(spec.review, db=_database(spec.review.db, base))
    return replace(spec, source=source, grade=grade, review=review, report=report)


def _database(url: str, base: Path) -> str:
    """A database URL with an SQLite file path (a bare path) made absolute."""
    return url if "://" in url else str(base / Path(url).expanduser())


def _check(spec: PipelineSpec, file: str) -> None:
    """What types cannot check: one source, a sound run, known formats, distinct exports."""
    if (spec.generate is None) == (spec.source is None):
        raise ConfigError(
            "a pipeline starts from [generate] or from [source], and from one only",
            file=file,
            hint="[generate] makes trajectories; [source] path = ... reads existing data",
        )
    if spec.generate is not None:
        try:
            validate(spec.generate, file=file)
        except ConfigError as exc:
            exc.path = f"generate.{exc.path}" if exc.path else "generate"
            raise
    if spec.source is not None and spec.source.import_ is not None:
        _check_format(spec.source.import_, "read", file, "source.import")
    if spec.review is not None and not spec.review.skip:
        _check_review(spec.review, file)
    folders: set[str] = set()
    for k, export in enumerate(spec.export):
        _check_format(export.format, "write", file, f"export[{k}].format")
        if export.folder in folders:
            raise ConfigError(
                f"two exports write to {export.folder!r}",
                file=file,
                path=f"export[{k}].name",
                hint="give each export its own name",
            )
        folders.add(export.folder)


def _check_format(name: str, direction: str, file: str, path: str) -> None:
    try:
        (get_reader if direction == "read" else get_writer)(name, option=path)
    except ConfigError as exc:
        raise exc.located(file=file) from None


def _check_review(review: ReviewSpec, file: str) -> None:
    """The review database URL is one, and an SQLite file is there (a new empty one would hold
    no labels)."""
    try:
        from trajforge.review.db import make_engine  # noqa: PLC0415  # the review extra
    except ImportError as exc:
        raise ConfigError(
            f"the review stage needs the review extra ({exc.name} is missing)",
            file=file,
            path="review.db",
            hint="pip install 'trajforge[review]'",
        ) from None
    if "://" not in review.db and not Path(review.db).is_file():
        raise ConfigError(
            f"no review database at {review.db}",
            file=file,
            path="review.db",
            hint="the file `trajforge review serve --db` uses, or a postgresql:// URL",
        )
    try:
        make_engine(review.db).dispose()
    except ConfigError as exc:
        raise ConfigError(exc.message, file=file, path="review.db") from None
