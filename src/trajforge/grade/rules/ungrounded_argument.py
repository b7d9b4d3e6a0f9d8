"""Ungrounded argument: an identifier in a call that nothing the agent was told contains."""

from __future__ import annotations

import re

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext

#: Identifiers: letters and digits together (order ids, keys, emails), no spaces.
IDENTIFIER = re.compile(r"^(?=[^\s]*\d)(?=[^\s]*[A-Za-z])[A-Za-z0-9][\w.+@-]{2,}$")


def check(ctx: RuleContext) -> list[Finding]:
    """Label each call with an identifier found neither in the task nor in earlier results."""
    found = []
    for view in ctx.calls:
        unknown = sorted(
            {
                v
                for v in view.values
                if isinstance(v, str) and IDENTIFIER.match(v) and not ctx.mentioned(v, view.step)
            }
        )
        if unknown:
            found.append(
                RULE.find(
                    view.step,
                    "hallucinated-argument",
                    f"{view.call.name} uses {', '.join(map(repr, unknown))}, which neither the "
                    "task nor any earlier result or user message mentions",
                    target=view.target,
                    values=unknown,
                )
            )
    return found


RULE = Rule(
    name="ungrounded_argument",
    version="1",
    description="A call whose identifier arguments (ids, keys, emails) appear nowhere in the task, "
    "the earlier results or what the user said.",
    check=check,
)
