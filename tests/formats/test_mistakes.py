"""Which steps count as mistakes: the labels trajforge's graders give, and the options."""

from __future__ import annotations

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import is_mistake, marks_mistake
from trajforge.schema import Label, LabelSource, Trajectory
from trajforge.schema.records import LabelSourceKind

from .trajectories import reply


def test_every_problem_the_graders_find_is_a_mistake_class_and_recoveries_are_not(
    branched: list[Trajectory],
) -> None:
    by_class_only = ExportOptions(mistake_below=0.0)
    labels = [label for t in branched for step in t.steps for label in step.labels]
    problems = [lb for lb in labels if lb.source.kind == "rule" and lb.value == 0.0]
    injected = [lb for lb in labels if lb.source.kind == "generator"]
    good = [lb for lb in labels if lb.source.kind == "rule" and lb.value == 1.0]
    assert len({lb.name for lb in problems}) >= 5
    assert injected
    assert good
    assert all(marks_mistake(lb, by_class_only) for lb in problems + injected)
    assert not any(marks_mistake(lb, ExportOptions()) for lb in good)


def _label(kind: LabelSourceKind, grade: str, value: float | None) -> Label:
    return Label(name="check", source=LabelSource(kind=kind), grade=grade, value=value)


def test_which_labels_mark_a_mistake_is_configurable() -> None:
    judged = reply("hi", _label("judge", "partial", 0.3))
    warned = reply("hi", _label("verify", "warning", None))
    assert is_mistake(judged, ExportOptions())
    assert not is_mistake(judged, ExportOptions(mistake_below=0.2))
    assert not is_mistake(judged, ExportOptions(label_sources=("rule",)))
    assert is_mistake(judged, ExportOptions(mistake_below=0.0, mistake_classes=("partial",)))
    assert not is_mistake(warned, ExportOptions())
    assert not is_mistake(reply("hi"), ExportOptions())
