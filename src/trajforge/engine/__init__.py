"""Where trajforge's parallel work runs: this machine (``local``, the default) or a Ray cluster.

``get_engine(name, address)`` makes one; ``using_engine(engine)`` makes it the engine of the
work run inside the ``with`` block (the stage runner, the generation runner, rollouts, the
``[dedup]`` step and exports take it from there unless handed one), and ``active_engine()``
says which is in force. The local engine never imports Ray.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from trajforge.engine.base import Engine, LocalEngine
from trajforge.errors import ConfigError

__all__ = [
    "ENGINES",
    "Engine",
    "LocalEngine",
    "active_engine",
    "engine_in_force",
    "get_engine",
    "using_engine",
]

#: The engines ``--engine`` and a pipeline config's ``engine`` accept.
ENGINES = ("local", "ray")

_LOCAL = LocalEngine()
_active: ContextVar[Engine] = ContextVar("trajforge_engine", default=_LOCAL)


def get_engine(name: str = "local", address: str | None = None) -> Engine:
    """The engine called ``name``; ``address`` is an existing Ray cluster's (``auto``, or
    ``ray://host:10001``) for ``ray``, which otherwise starts a local one on first use."""
    if name == "local":
        if address is not None:
            raise ConfigError(
                "an address is for the ray engine", hint="add --engine ray, or drop the address"
            )
        return _LOCAL
    if name == "ray":
        try:
            from trajforge.engine.ray_engine import RayEngine  # noqa: PLC0415  # the 'ray' extra
        except ImportError:
            raise ConfigError(
                "the ray engine needs the 'ray' extra", hint="pip install 'trajforge[ray]'"
            ) from None
        return RayEngine(address)
    raise ConfigError(f"unknown engine {name!r}", hint=f"choose one of: {', '.join(ENGINES)}")


def active_engine() -> Engine:
    """The engine in force (``using_engine``), else the local one."""
    return _active.get()


@contextmanager
def using_engine(engine: Engine) -> Iterator[Engine]:
    """Run the work inside the block on ``engine``."""
    token = _active.set(engine)
    try:
        yield engine
    finally:
        _active.reset(token)


@contextmanager
def engine_in_force(name: str, address: str | None = None) -> Iterator[Engine]:
    """Run the work inside the block on the engine ``name`` (:func:`get_engine`)."""
    with using_engine(get_engine(name, address)) as engine:
        yield engine
