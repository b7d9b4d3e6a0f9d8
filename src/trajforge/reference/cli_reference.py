"""The CLI reference (``docs/cli.md``), from the commands themselves: each command's help, usage,
arguments and options with their defaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from trajforge.reference.markdown import GENERATED, anchor, table


def cli_reference() -> str:
    """The whole CLI reference as Markdown."""
    from trajforge.cli.app import app  # noqa: PLC0415 - the app imports every command module

    root = typer.main.get_command(app)
    commands = list(_walk(root, "trajforge"))
    lines = [GENERATED, "", "# Command-line reference", "", root.help or "", ""]
    lines += [f"- [`{path}`](#{anchor(path)})" for path, _ in commands[1:]]
    for path, command in commands:
        lines += ["", f"## {path}", "", (command.help or "").strip(), ""]
        lines += [f"Usage: `{_usage(path, command)}`", ""]
        rows = [_row(param) for param in command.params if not getattr(param, "hidden", False)]
        if rows:
            lines += [table(("argument / option", "default", "what it does"), rows), ""]
    return "\n".join(lines).rstrip() + "\n"


def _walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():  # in the order they were added
            yield from _walk(sub, f"{path} {name}")


def _usage(path: str, command: Any) -> str:
    words = [path]
    if isinstance(command, TyperGroup):
        words.append("COMMAND")
    words += [(p.metavar or p.name or "").upper() for p in command.params
              if isinstance(p, TyperArgument)]  # fmt: skip
    if any(isinstance(p, TyperOption) for p in command.params):
        words.append("[OPTIONS]")
    return " ".join(words)


def _row(param: TyperArgument | TyperOption) -> tuple[str, str, str]:
    if isinstance(param, TyperArgument):
        name = f"`{(param.metavar or param.name or '').upper()}`"
        return name, "required" if param.required else "", param.help or ""
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if not param.is_flag:
        kind = "text" if param.multiple else param.bare_type()
        names += f" {kind.upper()}{_range(param)}"
    return names, _default(param), param.help or ""


def _range(option: TyperOption) -> str:
    low, high = option.min, option.max
    if low is None and high is None:
        return ""
    return f" ({'' if low is None else low}..{'' if high is None else high})"


def _default(option: TyperOption) -> str:
    default = option.default
    if option.required:
        return "required"
    if default is None or (option.is_flag and default is False) or default == []:
        return ""
    if option.is_flag and option.secondary_opts:
        return f"`{option.opts[0] if default else option.secondary_opts[0]}`"
    return f"`{default}`"
