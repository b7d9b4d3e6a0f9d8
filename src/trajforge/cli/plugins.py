"""``trajforge plugins``: every registry's plugins, where each comes from, and whether it loads."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from trajforge.cli.common import out


def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """List every plugin (environments, formats...): its origin and whether it loads."""
    from trajforge.pipeline.plugins import plugin_statuses, registries

    rows = plugin_statuses(registries())
    if as_json:
        listing: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            listing.setdefault(row.registry, []).append(
                {"name": row.name, "origin": row.origin, "status": row.status}
            )
        sys.stdout.write(json.dumps(listing, indent=2) + "\n")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="plugins")
    for column in ("registry", "name", "origin", "status"):
        table.add_column(column)
    for row in rows:
        status = "[green]ok[/]" if row.ok else f"[red]{escape(row.status)}[/]"
        table.add_row(row.registry, escape(row.name), escape(row.origin), status)
    out.print(table)
