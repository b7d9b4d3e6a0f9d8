"""The ``[decontaminate]`` curation step: no training trajectory whose task is in the benchmark it
will be judged on.

    [decontaminate]
    eval = "benchmarks/tau-retail.jsonl"  # the evaluation set: a file, glob or directory
    format = "auto"                       # its format (any readable one: see trajforge plugins)
    n = 8                                 # words per n-gram
    threshold = 0.9                       # share of n-grams in common that makes a hit
    action = "drop"                       # or "flag": keep it, with a ``contaminated`` label

A trajectory is a hit when its task instruction equals an evaluation task's (after normalising
case, spacing and punctuation), when its environment and seed equal one's, or when the
instructions share at least ``threshold`` of the word n-grams of the shorter of the two (a copy
with words added or cut). Generated instructions of one template share long stretches of
boilerplate: tasks of one template with other people, times and ids overlap up to 0.8 in
trajforge's environments, so a lower threshold also flags those. The report lists every hit with
its match: the evaluation record's id and location, how it matched, the overlap and the n-grams in
common. The evaluation set is held in memory as an index of its n-grams (evaluation sets are
small); the stream is not, only the hits.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec

from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.errors import ConfigError, TrajforgeError
from trajforge.formats.registry import get_reader
from trajforge.schema import Label, LabelSource, Trajectory

#: Most n-grams in common shown per hit.
SHOWN_NGRAMS = 5
LABEL = "contaminated"
_WORD = re.compile(r"\w+")

Gram = tuple[str, ...]


class DecontaminateSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The ``[decontaminate]`` table."""

    eval: str
    format: str = "auto"
    n: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    threshold: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.9
    action: Literal["drop", "flag"] = "drop"


def words(text: str) -> list[str]:
    """The words of ``text``, case and accents folded, punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def ngrams(tokens: list[str], n: int) -> set[Gram]:
    """The word n-grams of ``tokens`` (the whole text as one, when it is shorter than ``n``)."""
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass(frozen=True)
class EvalTask:
    """One task of the evaluation set: where it is, and its instruction's n-grams."""

    id: str
    location: str | None
    grams: frozenset[Gram]


@dataclass(frozen=True)
class Hit:
    """A trajectory's task found in the evaluation set."""

    task: EvalTask
    match: Literal["instruction", "seed", "ngrams"]
    overlap: float
    common: list[Gram] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The hit as JSON values."""
        return {
            "eval_id": self.task.id,
            "eval_location": self.task.location,
            "match": self.match,
            "overlap": round(self.overlap, 4),
            "ngrams": [" ".join(gram) for gram in self.common[:SHOWN_NGRAMS]],
        }


class EvalIndex:
    """The evaluation tasks by normalised instruction, by environment and seed, and by n-gram."""

    def __init__(self, records: Iterable[Trajectory], n: int) -> None:
        self.n = n
        self.tasks: list[EvalTask] = []
        self._instructions: dict[tuple[str, ...], int] = {}
        self._seeds: dict[tuple[str, int], int] = {}
        self._grams: dict[Gram, list[int]] = {}
        for record in records:
            self._add(record)

    def _add(self, record: Trajectory) -> None:
        index = len(self.tasks)
        tokens = words(record.task.instruction or "")
        grams = frozenset(ngrams(tokens, self.n))
        self.tasks.append(EvalTask(record.id, record.provenance.record_location, grams))
        if tokens:
            self._instructions.setdefault(tuple(tokens), index)
        if record.task.environment is not None and record.task.seed is not None:
            self._seeds.setdefault((record.task.environment, record.task.seed), index)
        for gram in grams:
            self._grams.setdefault(gram, []).append(index)

    def find(self, trajectory: Trajectory, threshold: float) -> Hit | None:
        """The evaluation task ``trajectory``'s task matches, if any: an equal instruction, then
        an equal environment and seed, then the largest n-gram overlap at ``threshold`` or more
        (the first such task on a tie)."""
        task = trajectory.task
        tokens = words(task.instruction or "")
        exact = self._instructions.get(tuple(tokens)) if tokens else None
        if exact is not None:
            return Hit(self.tasks[exact], "instruction", 1.0)
        if task.environment is not None and task.seed is not None:
            same = self._seeds.get((task.environment, task.seed))
            if same is not None:
                return Hit(self.tasks[same], "seed", 1.0)
        return self._overlapping(ngrams(tokens, self.n), threshold)

    def _overlapping(self, grams: set[Gram], threshold: float) -> Hit | None:
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._grams.get(gram, ()))
        best: Hit | None = None
        for index, count in sorted(shared.items()):
            other = self.tasks[index]
            overlap = count / min(len(grams), len(other.grams))
            if overlap >= threshold and (best is None or overlap > best.overlap):
                best = Hit(other, "ngrams", overlap, sorted(grams & other.grams))
        return best


class DecontaminateStep(SettingsStep[DecontaminateSettings]):
    """Drops (or flags) the trajectories whose task is in the evaluation set."""

    name = "decontaminate"

    def __init__(
        self, settings: DecontaminateSettings, index: EvalIndex, context: StepContext
    ) -> None:
        super().__init__(settings, context)
        self.index = index
        self.seen = 0
        self.hits: list[dict[str, Any]] = []

    def owns(self, label: Label) -> bool:
        """The ``contaminated`` label is this step's."""
        return label.name == LABEL and label.source.id == self.name

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The trajectories whose task is not in the evaluation set (with ``action = "flag"``:
        all of them, the hits labelled)."""
        for trajectory in trajectories:
            self.seen += 1
            hit = self.index.find(trajectory, self.settings.threshold)
            if hit is None:
                yield trajectory
                continue
            match = hit.describe()
            self.hits.append({"id": trajectory.id, **match})
            if self.settings.action == "drop":
                self.exclude(trajectory, LABEL, **match)
                continue
            trajectory.labels.append(_label(match))
            yield trajectory

    def report(self) -> dict[str, Any]:
        """The evaluation set, the trajectories checked and every hit with its match."""
        return {
            "eval": self.settings.eval,
            "eval_tasks": len(self.index.tasks),
            "action": self.settings.action,
            "trajectories": self.seen,
            "contaminated": len(self.hits),
            "hits": self.hits,
        }


def _label(match: dict[str, Any]) -> Label:
    return Label(
        name=LABEL,
        source=LabelSource(kind="rule", id=DecontaminateStep.name),
        value=match["overlap"],
        rationale=f"task matches evaluation record {match['eval_id']} ({match['match']})",
        details=match,
    )


def make_decontaminate(table: Mapping[str, Any], context: StepContext) -> DecontaminateStep:
    """The ``[decontaminate]`` step from its table; the evaluation set is read now."""
    settings = step_settings(table, DecontaminateSettings, "decontaminate")
    try:
        read = get_reader(settings.format, option="[decontaminate].format")
        index = EvalIndex(read(settings.eval, None), settings.n)
    except TrajforgeError as exc:
        exc.path = exc.path or "[decontaminate].eval"
        raise
    if not index.tasks:
        raise ConfigError(
            "the evaluation set has no records", file=settings.eval, path="[decontaminate].eval"
        )
    return DecontaminateStep(settings, index, context)
