"""Agreement of automatic graders with human labels, step by step.

On every step a human labelled, each automatic source (rule, rollout, judge, ...) that graded
the trajectory says "mistake" or "fine" as exports read labels
(:func:`trajforge.formats.mistakes.marks_mistake` with the default options), and so does the
human; a source that left the step unlabelled calls it fine (rule graders only label problems).
Per source: the 2x2 table, the share of agreement and Cohen's kappa.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import marks_mistake
from trajforge.schema import Trajectory

_OPTIONS = ExportOptions()


def cohen_kappa(pairs: Mapping[tuple[Hashable, Hashable], int]) -> float | None:
    """Cohen's kappa of two raters from how many units got each pair of values (``None``: no
    units, or chance agreement is total so kappa is undefined)."""
    n = sum(pairs.values())
    if not n:
        return None
    first: Counter[Hashable] = Counter()
    second: Counter[Hashable] = Counter()
    for (a, b), count in pairs.items():
        first[a] += count
        second[b] += count
    chance = sum(first[v] * second[v] for v in first) / n**2
    if chance >= 1:
        return None
    observed = sum(count for (a, b), count in pairs.items() if a == b) / n
    return (observed - chance) / (1 - chance)


HUMAN = "human"


@dataclass
class Table2x2:
    """Steps by (human says mistake, grader says mistake)."""

    both: int = 0
    human_only: int = 0
    grader_only: int = 0
    neither: int = 0

    @property
    def steps(self) -> int:
        """The steps compared."""
        return self.both + self.human_only + self.grader_only + self.neither

    @property
    def agreement(self) -> float | None:
        """The share of steps on which they agree."""
        return (self.both + self.neither) / self.steps if self.steps else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa (``None`` when chance agreement is total, e.g. one class only)."""
        pairs: dict[tuple[Hashable, Hashable], int] = {
            (True, True): self.both,
            (True, False): self.human_only,
            (False, True): self.grader_only,
            (False, False): self.neither,
        }
        return cohen_kappa(pairs)

    def add(self, human: bool, grader: bool) -> None:
        """Count one step."""
        if human and grader:
            self.both += 1
        elif human:
            self.human_only += 1
        elif grader:
            self.grader_only += 1
        else:
            self.neither += 1


@dataclass
class Agreement:
    """A 2x2 table per automatic source kind, and how many steps humans labelled."""

    sources: defaultdict[str, Table2x2] = field(default_factory=lambda: defaultdict(Table2x2))
    human_steps: int = 0

    def add(self, trajectory: Trajectory) -> None:
        """Account for the human-labelled steps of one trajectory."""
        graders = {label.source.kind for label in trajectory.labels}
        graders.update(label.source.kind for step in trajectory.steps for label in step.labels)
        graders.discard(HUMAN)
        for step in trajectory.steps:
            human = [label for label in step.labels if label.source.kind == HUMAN]
            if not human:
                continue
            self.human_steps += 1
            says = any(marks_mistake(label, _OPTIONS) for label in human)
            for source in graders:
                mistake = any(
                    label.source.kind == source and marks_mistake(label, _OPTIONS)
                    for label in step.labels
                )
                self.sources[source].add(says, mistake)
