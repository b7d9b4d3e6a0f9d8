"""Rich renderables describing environments, their tools, rules and tasks."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from trajforge.envs.base import Environment
from trajforge.envs.spec import EnvironmentSpec
from trajforge.schema import Task


def environments_table(envs: Iterable[tuple[str, EnvironmentSpec]]) -> Table:
    """One row per environment: name, version, tools, levels, rules, expert, description."""
    table = Table(title="environments", header_style="bold")
    for column in ("name", "version", "tools", "levels", "rules", "expert", "description"):
        table.add_column(column, overflow="fold")
    for name, spec in envs:
        cls = spec.environment
        table.add_row(
            name,
            cls.version,
            str(len(cls.tools)),
            str(len(cls.difficulty_levels)),
            str(len(cls.policy_rules)),
            "yes" if spec.expert is not None else "no",
            cls.description.split(". ")[0].rstrip("."),
        )
    return table


def tools_table(cls: type[Environment], *, schemas: bool = True) -> Table:
    """The environment's tools with their descriptions and (optionally) JSON Schemas."""
    table = Table(title=f"{cls.name}: tools", header_style="bold", show_lines=schemas)
    table.add_column("tool")
    table.add_column("description", overflow="fold")
    if schemas:
        table.add_column("parameters (JSON Schema)", overflow="fold")
    for tool_def in cls.tools.values():
        kind = (
            " (read-only)" if tool_def.read_only else " (idempotent)" if tool_def.idempotent else ""
        )
        cells = [tool_def.name + kind, tool_def.spec.description or ""]
        if schemas:
            cells.append(
                msgspec.json.format(msgspec.json.encode(tool_def.spec.parameters)).decode()
            )
        table.add_row(*cells)
    return table


def environment_details(spec: EnvironmentSpec) -> Group:
    """Everything ``envs show`` prints: description, tools, rules, levels, user contract, and the
    policy document every agent is given."""
    cls = spec.environment
    rules = Table(title="policy rules", header_style="bold")
    for column in ("rule", "kind", "description"):
        rules.add_column(column, overflow="fold")
    for rule in cls.policy_rules:
        rules.add_row(rule.name, rule.kind, rule.description)
    levels = Table(title="difficulty levels", header_style="bold")
    levels.add_column("level")
    levels.add_column("what it means", overflow="fold")
    for level, text in sorted(cls.difficulty_levels.items()):
        levels.add_row(str(level), text)
    user = Table(title="simulated user knows (hidden information)", header_style="bold")
    user.add_column("key")
    user.add_column("meaning", overflow="fold")
    for key, text in cls.hidden_info_keys.items():
        user.add_row(key, text)
    header = Text.assemble((f"{cls.name} v{cls.version}", "bold"), f" — {cls.description}")
    policy = Markdown(spec.policy_document)
    return Group(
        header, tools_table(cls), rules, levels, user, Text("policy document", "bold"), policy
    )


def task_summary(task: Task) -> Table:
    """A task as a small key/value table (instruction, level, checks, hidden info)."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("instruction", task.instruction or "")
    table.add_row("difficulty", str(task.difficulty))
    table.add_row("seed", str(task.seed))
    table.add_row("goal checks", ", ".join(c.name for c in task.goal_checks))
    table.add_row("expected calls", str(len(task.expected_actions)))
    if task.hidden_info:
        table.add_row("user knows", "; ".join(f"{k}: {v}" for k, v in task.hidden_info.items()))
    return table
