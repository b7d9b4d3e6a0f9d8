"""The dataset card every export writes beside its data: what went in, what came out, and how.

:class:`CardStats` tallies the trajectories as they stream to the writer (counters only, so
memory stays flat); :func:`render_card` writes a Hugging Face style ``README.md``: YAML front
matter (licence, tags, size, and for a dataset directory the data files), then counts, the
outcome and label mix, environments, sources and provenance, licences found in
``provenance.license``, the export options and the format's own writer options. Nothing in it
depends on the time or the machine, so the same export gives the same card.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from trajforge import __version__
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import is_mistake, marks_mistake
from trajforge.formats.ranking import score_label
from trajforge.grade.aggregate import band
from trajforge.schema import Trajectory

NONE: Final = "(none)"
_SIZES: Final = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)
"""Hugging Face's size categories: the first whose bound is above the row count."""
_LICENSE_ID: Final = re.compile(r"[a-z0-9][a-z0-9.+-]*")


@dataclass
class Mean:
    """A running mean of the values that are known."""

    total: float = 0.0
    count: int = 0

    def add(self, value: float | None) -> None:
        """Count ``value`` unless it is ``None``."""
        if value is not None:
            self.total += value
            self.count += 1


@dataclass
class CardStats:
    """Counts over the exported trajectories, taken as they stream past."""

    options: ExportOptions
    trajectories: int = 0
    steps: int = 0
    mistake_steps: int = 0
    unlabelled: int = 0
    """Trajectories without a step label from a counted source."""
    tree_members: int = 0
    outcome_score: Mean = field(default_factory=Mean)
    source_reward: Mean = field(default_factory=Mean)
    statuses: Counter[str] = field(default_factory=Counter)
    score_grades: Counter[str] = field(default_factory=Counter)
    step_labels: Counter[str] = field(default_factory=Counter)
    environments: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    original_formats: Counter[str] = field(default_factory=Counter)
    generators: Counter[str] = field(default_factory=Counter)
    licenses: Counter[str] = field(default_factory=Counter)

    def observe_all(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Pass the trajectories on, counting each."""
        for trajectory in trajectories:
            self.observe(trajectory)
            yield trajectory

    def observe(self, trajectory: Trajectory) -> None:
        """Count one trajectory."""
        self.trajectories += 1
        self.steps += len(trajectory.steps)
        self.mistake_steps += sum(is_mistake(step, self.options) for step in trajectory.steps)
        self._labels(trajectory)
        outcome, provenance = trajectory.outcome, trajectory.provenance
        self.statuses[outcome.status] += 1
        self.outcome_score.add(outcome.score)
        self.source_reward.add(outcome.source_reward)
        self.environments[trajectory.task.environment or NONE] += 1
        self.sources[provenance.source] += 1
        self.original_formats[provenance.original_format or NONE] += 1
        generator = provenance.generator
        self.generators[_generator(generator.policy, generator.model) if generator else NONE] += 1
        self.licenses[provenance.license or NONE] += 1
        self.tree_members += provenance.parent_id is not None

    def _labels(self, trajectory: Trajectory) -> None:
        counted = [
            label
            for step in trajectory.steps
            for label in step.labels
            if label.source.kind in self.options.label_sources
        ]
        self.unlabelled += not counted
        for label in counted:
            kind = "mistake" if marks_mistake(label, self.options) else "other"
            self.step_labels[f"{label.source.kind}: {label.name} ({kind})"] += 1
        score = score_label(trajectory, self.options)
        if score is not None:
            self.score_grades[band(score)] += 1


def _generator(policy: str | None, model: str | None) -> str:
    return " / ".join(part for part in (policy, model) if part) or NONE


@dataclass(frozen=True)
class CardFacts:
    """What the card says beyond the counts: the export itself."""

    format_name: str
    source: str
    from_format: str
    data_file: str
    """The data file, relative to the card for a dataset directory."""
    directory: bool
    rows: int
    set_aside: int
    details: Mapping[str, int]
    writer_options: Mapping[str, Any] = field(default_factory=dict)
    """The format's own writer options (``tokenized``'s tokenizer...), as given."""
    rows_field: str | None = None
    """The key of the rows' list where the data file is one JSON object (see ``Format``)."""


def render_card(facts: CardFacts, stats: CardStats) -> str:
    """The card as Markdown with YAML front matter."""
    sections = [
        _front_matter(facts, stats),
        f"# {facts.format_name} training data from trajforge\n\n"
        f"Exported with `trajforge export {facts.format_name}` (trajforge {__version__}) from "
        f"`{facts.source}`, read as {facts.from_format} records.",
        _counts(facts, stats),
        _loading(facts),
        _outcomes(stats),
        _labels(stats),
        _table("Environments", "environment", "trajectories", stats.environments),
        _provenance(stats),
        _licenses(stats),
        _table("Export options", "option", "value", _options(stats.options), sort=False),
        _table("Writer options", "option", "value", facts.writer_options, sort=False),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _front_matter(facts: CardFacts, stats: CardStats) -> str:
    lines = ["---"]
    licenses = [name for name in stats.licenses if name != NONE]
    if licenses:
        only = licenses[0].lower() if len(licenses) == 1 else ""
        lines.append(f"license: {only if _LICENSE_ID.fullmatch(only) else 'other'}")
    size = next((name for bound, name in _SIZES if facts.rows < bound), "1B<n<10B")
    lines += [
        "task_categories:\n- text-generation",
        f"tags:\n- trajforge\n- agents\n- tool-use\n- {_quoted(facts.format_name)}",
        f"size_categories:\n- {size}",
    ]
    if facts.directory:
        lines.append(
            "configs:\n- config_name: default\n  data_files:\n  - split: train\n"
            f"    path: {_quoted(facts.data_file)}"
            + (f"\n  field: {_quoted(facts.rows_field)}" if facts.rows_field else "")
        )
    return "\n".join([*lines, "---"])


def _loading(facts: CardFacts) -> str:
    """How to load a data file that is one JSON object: the rows are under its ``rows_field``."""
    if facts.rows_field is None:
        return ""
    key = facts.rows_field
    here = " (so does `datasets.load_dataset` of this directory: see the config above)"
    return (
        f"## Loading\n\n`{facts.data_file}` is one JSON object, as {facts.format_name} writes "
        f'it; the rows are its `{key}`: `datasets.load_dataset("json", '
        f'data_files="{facts.data_file}", field="{key}")` reads them{here * facts.directory}. '
        "An Arrow column holds one type: where a key's values change type from row to row, "
        "that fails (`ArrowInvalid`); load each row as JSON text then:"
        "\n\n```python\nimport json\n\nimport datasets\n\n"
        f'with open("{facts.data_file}") as file:\n    rows = json.load(file)["{key}"]\n'
        'dataset = datasets.Dataset.from_list([{"json": json.dumps(row)} for row in rows])\n```'
    )


def _counts(facts: CardFacts, stats: CardStats) -> str:
    rows: dict[str, Any] = {
        "rows written": f"{facts.rows:,} in `{facts.data_file}`",
        "trajectories read": f"{stats.trajectories:,} ({stats.steps:,} steps)",
        "bad records set aside": f"{facts.set_aside:,}",
        "trajectories in trees (with a parent)": f"{stats.tree_members:,}",
    }
    rows.update({key: f"{value:,}" for key, value in sorted(facts.details.items())})
    return _table("Counts", "what", "count", rows, sort=False)


def _outcomes(stats: CardStats) -> str:
    table = _table("Outcomes", "status", "trajectories", stats.statuses)
    means = [
        f"mean {name}: {mean.total / mean.count:.3f} over {mean.count:,} trajectories"
        for name, mean in (
            ("outcome score", stats.outcome_score),
            ("source reward", stats.source_reward),
        )
        if mean.count
    ]
    grades = _table("Score grades", "grade", "trajectories", stats.score_grades, level=3)
    return "\n\n".join(part for part in (table, "; ".join(means), grades) if part)


def _labels(stats: CardStats) -> str:
    summary = (
        f"## Labels\n\n{stats.mistake_steps:,} of {stats.steps:,} steps count as mistakes under "
        "the export options below. Trajectories without a step label from a counted source "
        f"(their steps count as good): {stats.unlabelled:,}."
    )
    table = _table("Step labels", "source: label (counts as)", "labels", stats.step_labels, 3)
    return "\n\n".join(part for part in (summary, table) if part)


def _provenance(stats: CardStats) -> str:
    parts = [
        _table("Sources", "source", "trajectories", stats.sources),
        _table("Original formats", "format", "trajectories", stats.original_formats, 3),
        _table("Generators", "policy / model", "trajectories", stats.generators, 3),
    ]
    return "\n\n".join(part for part in parts if part)


def _licenses(stats: CardStats) -> str:
    found = {name: n for name, n in stats.licenses.items() if name != NONE}
    if not found:
        return "## Licences\n\nNo trajectory records a licence (`provenance.license`)."
    return _table("Licences", "licence (provenance.license)", "trajectories", stats.licenses)


def _options(options: ExportOptions) -> dict[str, Any]:
    values: dict[str, Any] = msgspec.to_builtins(options)
    return {
        key: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        for key, value in values.items()
    }


def _table(
    title: str,
    key: str,
    value: str,
    counts: Mapping[str, Any],
    level: int = 2,
    *,
    sort: bool = True,
) -> str:
    """A Markdown section with a two-column table, biggest counts first (empty: no section)."""
    if not counts:
        return ""
    items = list(counts.items())
    if sort:
        items.sort(key=lambda item: (-item[1], item[0]))
    rows = "\n".join(f"| {_cell(name)} | {_cell(count)} |" for name, count in items)
    return f"{'#' * level} {title}\n\n| {key} | {value} |\n|---|---|\n{rows}"


def _cell(value: Any) -> str:
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _quoted(text: str) -> str:
    """A YAML scalar (JSON strings are YAML)."""
    return msgspec.json.encode(text).decode()
