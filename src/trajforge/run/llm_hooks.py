"""How the runner gets LLM agents and users: from the optional ``llm`` extra, if installed."""

from __future__ import annotations

from trajforge.run.runner import LLMHooks


def llm_hooks() -> LLMHooks | None:
    """The LLM agent and user makers, or None when the ``llm`` extra is not installed."""
    return None
