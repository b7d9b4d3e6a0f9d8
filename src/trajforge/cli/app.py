"""The typer app: the root options (``--debug``, ``--version``), every command group, and
``main``, which renders trajforge errors in one or two lines."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.markup import escape

from trajforge import __version__
from trajforge.cli import (
    apply,
    auditing,
    curating,
    data,
    demo,
    envs,
    exporting,
    generate,
    grade,
    importing,
    plugins,
    reporting,
    review,
    running,
    verify,
)
from trajforge.cli.common import err, out
from trajforge.cli.interrupt import interruptible, stop_on_sigterm
from trajforge.errors import TrajforgeError

app = typer.Typer(
    name="trajforge",
    help="Simulate, generate, verify, grade, curate and export agent trajectories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@dataclass
class RootOptions:
    """The root options of the command being run."""

    debug: bool = False


#: Set by the root callback, read by :func:`main` when an error comes back.
root_options = RootOptions()


def _version(value: bool) -> None:
    if value:
        out.print(f"trajforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """trajforge: training data for LLM agents."""
    root_options.debug = debug


COMMANDS = (
    data.schema,
    data.convert,
    data.stats,
    data.head,
    demo.demo,
    generate.generate,
    verify.verify,
    grade.grade,
    apply.apply,
    curating.curate,
    plugins.plugins,
    running.run,
)
for command in COMMANDS:
    app.command()(interruptible(command))
app.command(name="import")(interruptible(importing.import_records))
app.command(name="export")(interruptible(exporting.export_records))
app.add_typer(envs.app, name="envs")
app.add_typer(auditing.app, name="audit")
app.add_typer(reporting.app, name="report")
app.add_typer(review.app, name="review")


def main() -> None:
    """Entry point: run the app, rendering trajforge errors in one or two lines; SIGTERM stops
    a command as Ctrl-C does."""
    stop_on_sigterm()
    try:
        app()
    except (TrajforgeError, OSError) as exc:
        if root_options.debug:
            raise
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        hint = getattr(exc, "hint", None)
        if hint:
            err.print(f"[dim]hint: {escape(hint)}[/]", highlight=False)
        sys.exit(1)
