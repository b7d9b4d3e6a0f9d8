"""The ``--engine`` and ``--ray-address`` options of the commands that run on a cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from trajforge.engine import Engine

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where the work runs: local (this machine) or ray (a Ray cluster: the 'ray' extra).",
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="An existing Ray cluster (auto, or ray://HOST:10001); default: start a local one.",
    ),
]


@contextmanager
def engine_in_force(name: str, address: str | None) -> Iterator[Engine]:
    """The work inside the block runs on the engine ``name`` (see :mod:`trajforge.engine`)."""
    from trajforge.engine import get_engine, using_engine

    with using_engine(get_engine(name, address)) as engine:
        yield engine
