"""Stages by name, for commands that compose them (``trajforge apply --stage NAME``).

A registered stage is a factory: called without arguments it gives a stage with its default
parameters (a stage class with defaults for every parameter is one). Outside packages add theirs
under the ``trajforge.stages`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trajforge.pipeline.registry import PluginError, Registry
from trajforge.pipeline.stage import Stage

StageFactory = Callable[[], Stage]


def _factory(obj: Any) -> StageFactory:
    if not callable(obj):
        raise TypeError(f"expected a stage class or factory, got {type(obj).__name__}")
    factory: StageFactory = obj
    return factory


#: The built-in stages that need no settings, and those of outside packages.
STAGES: Registry[StageFactory] = Registry(
    "stage",
    "trajforge.stages",
    {
        "verify": "trajforge.verify.pipeline:VerifyStage",
        "rules": "trajforge.grade.rules.registry:RuleGrader",
        "score": "trajforge.grade.aggregate:ScoreStage",
    },
    check=_factory,
)


def build_stage(name: str) -> Stage:
    """The stage registered as ``name``, with its default parameters."""
    stage = STAGES.get(name)()
    if not isinstance(stage, Stage):
        raise PluginError(f"stage {name!r} did not make a stage (name, version, __call__)")
    return stage
