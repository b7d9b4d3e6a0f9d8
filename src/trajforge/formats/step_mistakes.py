"""Which steps are mistakes, for exports that leave mistaken turns out of training.

A step is a mistake when a grader's label on it (a rule, verify, replay, roll-outs, a judge or a
human) has a value below :data:`MISTAKE_BELOW` (rules give a problem 0, roll-outs the share of
successful continuations), or when its generator recorded one (an injected mistake, a model
output that could not be used). Labels without a value, and the aggregate ``score``, which is
trajectory-level, do not count.
"""

from __future__ import annotations

from typing import Final

from trajforge.schema import Label, Step

MISTAKE_BELOW: Final = 0.5
#: The generator's labels of a step that went wrong (see agents.mistakes and agents.llm).
GENERATOR_MISTAKES: Final = frozenset({"injected_mistake", "malformed_output"})


def is_mistake(step: Step, *, below: float = MISTAKE_BELOW) -> bool:
    """Whether ``step`` carries a label that marks it as a mistake (see the module)."""
    return any(_marks_mistake(label, below) for label in step.labels)


def _marks_mistake(label: Label, below: float) -> bool:
    if label.source.kind == "generator":
        return label.name in GENERATOR_MISTAKES
    return label.value is not None and label.value < below
