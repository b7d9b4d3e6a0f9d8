"""Every registry of trajforge, and the state of each plugin in it (``trajforge plugins``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trajforge.pipeline.registry import BUILTIN, PluginError, Registry, import_target

#: The registries by kind, each named by import path (imported only when listed).
REGISTRIES: dict[str, str] = {
    "environments": "trajforge.envs.registry:ENVIRONMENTS",
    "experts": "trajforge.agents.registry:EXPERTS",
    "rules": "trajforge.grade.rules.registry:RULES",
    "formats": "trajforge.formats.registry:FORMATS",
    "rubrics": "trajforge.grade.rubric:RUBRICS",
    "stages": "trajforge.pipeline.stages:STAGES",
    "curation": "trajforge.curate.step:CURATION_STEPS",
}


@dataclass(frozen=True, slots=True)
class PluginStatus:
    """One registered plugin: its registry, name, origin (``built-in``, or which package or code
    registered it), and ``ok`` or why it fails to load."""

    registry: str
    name: str
    origin: str
    status: str

    @property
    def ok(self) -> bool:
        """Whether the plugin loads."""
        return self.status == "ok"


def registries() -> dict[str, Registry[Any]]:
    """Every registry of :data:`REGISTRIES`, by kind."""
    return {kind: import_target(target) for kind, target in REGISTRIES.items()}


def plugin_statuses(found: Mapping[str, Registry[Any]]) -> list[PluginStatus]:
    """Every plugin of the registries ``found`` (by kind), loaded to see whether it works; one
    that fails to load is reported with its error, and the listing goes on."""
    rows: list[PluginStatus] = []
    for kind, registry in found.items():
        for entry in registry.entries():
            try:
                registry.get(entry.name)
                status = "ok"
            except PluginError as exc:
                status = str(exc)
            origin = "built-in" if entry.origin == BUILTIN else entry.origin
            rows.append(PluginStatus(kind, entry.name, origin, status))
    return rows
