"""The registry of environments, by name: the built-ins, and those of outside packages (entry
point group ``trajforge.environments``), each an :class:`EnvironmentSpec`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from trajforge.envs.base import Environment
from trajforge.envs.spec import EnvironmentSpec, as_spec
from trajforge.pipeline.registry import Registry

ENVIRONMENTS: Registry[EnvironmentSpec] = Registry(
    "environment",
    "trajforge.environments",
    {
        "support": "trajforge.envs.support:SPEC",
        "itops": "trajforge.envs.itops:SPEC",
        "dataops": "trajforge.envs.dataops:SPEC",
        "web": "trajforge.envs.web:SPEC",
        "scheduling": "trajforge.envs.scheduling:SPEC",
    },
    check=as_spec,
)


def get_spec(name: str) -> EnvironmentSpec:
    """The spec registered under ``name``; a ConfigError names the choices."""
    return ENVIRONMENTS.get(name)


def get_environment(name: str) -> type[Environment]:
    """The environment class registered under ``name``; a ConfigError names the choices."""
    return get_spec(name).environment


class _Classes(Mapping[str, type[Environment]]):
    """The registered environment classes by name, each loaded on first use."""

    def __getitem__(self, name: str) -> type[Environment]:
        if name not in ENVIRONMENTS:
            raise KeyError(name)
        return get_environment(name)

    def __iter__(self) -> Iterator[str]:
        return iter(ENVIRONMENTS)

    def __len__(self) -> int:
        return len(ENVIRONMENTS)


#: The registered environment classes as a read-only mapping (what replay looks classes up in).
ENVIRONMENT_CLASSES: Mapping[str, type[Environment]] = _Classes()
