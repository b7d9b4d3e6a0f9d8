"""What tau-bench and tau2-bench result files share: their tools' roles and effects, their
hand-off and error conventions, and keeping what is not mapped.

Neither file carries tool definitions (tau2-bench's ``tool_defs`` is null unless the run asked
for it), so which tools only read is known from the tool types a tau2-bench file records, or
else from the tool's name: lookups (``get_``, ``find_``, ``list_``, ``search_``, ``check_``)
and the tools that change no data (``calculate``, ``think`` and the hand-off
``transfer_to_human_agents``, which both benchmarks leave out of their database comparison)
only read; every other agent tool of the benchmarks' domains (airline, retail, telecom) writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

from trajforge.schema import ToolSpec

#: The tool both benchmarks hand the conversation to a human with.
HANDOFF_TOOL: Final = "transfer_to_human_agents"
#: How tau-bench's environment reports a tool that raised: ``f"Error: {e}"`` as the result.
ERROR_PREFIX: Final = "Error:"
#: What the simulated user of both benchmarks writes, anywhere in its message, to end the
#: conversation (tau2-bench's user may also end with ``###TRANSFER###`` or ``###OUT-OF-SCOPE###``).
USER_STOP: Final = "###STOP###"
#: Every marker that ends a tau2-bench conversation: the user is done, was transferred to a human
#: (the agent's hand-off is its ``transfer_to_human_agents`` call before), or asks for what the
#: scenario does not cover.
TAU2_USER_ENDINGS: Final = (USER_STOP, "###TRANSFER###", "###OUT-OF-SCOPE###")


def user_ends(role: object, content: object, *, calls: bool, agent_spoke: bool,
              markers: tuple[str, ...] = (USER_STOP,)) -> bool:  # fmt: skip
    """Whether a last message is the simulated user ending the conversation: a user message
    without tool calls holding one of ``markers``, after the agent has spoken (so nothing is left
    for the agent to answer)."""
    text = content if isinstance(content, str) else ""
    return role == "user" and not calls and agent_spoke and any(m in text for m in markers)


_LOOKUP: Final = re.compile(r"^(get|find|list|search|check)_")
_NO_EFFECT: Final = frozenset({"calculate", "think", HANDOFF_TOOL})


def read_only_by_name(name: str) -> bool:
    """Whether a tool only reads, from its name: a lookup or a tool that changes no data."""
    return bool(_LOOKUP.match(name)) or name in _NO_EFFECT


def tool_specs(names: Iterable[str], read_only: Callable[[str], bool | None]) -> list[ToolSpec]:
    """One spec per tool name, in first-use order: its effect, and the hand-off's role."""
    return [
        ToolSpec(
            name=name,
            role="handoff" if name == HANDOFF_TOOL else None,
            read_only=read_only(name),
        )
        for name in dict.fromkeys(names)
    ]
