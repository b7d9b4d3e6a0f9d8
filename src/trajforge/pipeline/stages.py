"""Stages by name, for commands that compose them (``trajforge apply --stage NAME``).

A registered stage is a factory: called without arguments it gives a stage with its default
parameters (a stage class with defaults for every parameter is one). Outside packages add theirs
under the ``trajforge.stages`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable

from trajforge.pipeline.registry import PluginError, Registry, callable_entries
from trajforge.pipeline.stage import Stage

StageFactory = Callable[[], Stage]


#: The built-in stages that need no settings, and those of outside packages.
STAGES: Registry[StageFactory] = Registry(
    "stage",
    "trajforge.stages",
    {
        "verify": "trajforge.verify.pipeline:VerifyStage",
        "rules": "trajforge.grade.rules.registry:RuleGrader",
        "score": "trajforge.grade.aggregate:ScoreStage",
    },
    check=callable_entries("a stage class or factory"),
)


def build_stage(name: str) -> Stage:
    """The stage registered as ``name``, with its default parameters."""
    stage = STAGES.get(name)()
    if not isinstance(stage, Stage):
        raise PluginError(f"stage {name!r} did not make a stage (name, version, __call__)")
    return stage
