"""The ``--engine`` and ``--ray-address`` options of the commands that run on a cluster (the
commands enter them with :func:`trajforge.engine.engine_in_force`)."""

from __future__ import annotations

from typing import Annotated

import typer

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
