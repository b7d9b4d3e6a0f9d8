"""Which steps of a trajectory are mistakes, by their labels and the export options.

A step is a mistake when one of its labels from a counted source has a grade or name among the
mistake classes, or a value below the threshold (see :class:`ExportOptions`). A step without
such a label is not: rule graders only label problems (and recoveries), so an unlabelled step of
a graded trajectory is one they found nothing wrong with.
"""

from __future__ import annotations

from trajforge.formats.export_options import ExportOptions
from trajforge.schema import Label, Step, Trajectory


def marks_mistake(label: Label, options: ExportOptions) -> bool:
    """Whether ``label`` marks its step a mistake under ``options``."""
    if label.source.kind not in options.label_sources:
        return False
    classes = options.mistake_classes
    if label.name in classes or (label.grade is not None and label.grade in classes):
        return True
    return label.value is not None and label.value < options.mistake_below


def is_mistake(step: Step, options: ExportOptions) -> bool:
    """Whether one of the step's labels marks it a mistake."""
    return any(marks_mistake(label, options) for label in step.labels)


def mistakes(trajectory: Trajectory, options: ExportOptions) -> list[bool]:
    """For each step, whether it is a mistake."""
    return [bool(step.labels) and is_mistake(step, options) for step in trajectory.steps]
