"""Simulated users that answer the agent from the task's hidden information."""

from __future__ import annotations

import re

from trajforge.schema import Task

_WORD = re.compile(r"[a-z0-9]+")
_CONFIRM = re.compile(
    r"\b(shall i|should i|do you want|would you like|can i|may i|confirm|proceed|go ahead|ok to)\b"
)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "me",
        "might",
        "my",
        "no",
        "not",
        "of",
        "on",
        "one",
        "or",
        "our",
        "please",
        "shall",
        "should",
        "so",
        "some",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "who",
        "will",
        "with",
        "would",
        "yes",
        "you",
        "your",
    ]
)

DONT_KNOW = "I don't know."
CONFIRMATION = "Yes, please go ahead."


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


class ScriptedUser:
    """Answers clarifying questions from ``task.hidden_info``; says "I don't know" otherwise.

    A question is matched to the hidden-information key whose words (and description, from the
    environment's ``hidden_info_keys``) overlap it most. Requests for confirmation are confirmed.
    Each key is revealed in full once asked; the user never volunteers what was not asked.
    """

    def __init__(self, task: Task, key_descriptions: dict[str, str] | None = None) -> None:
        self.facts = {k: str(v) for k, v in task.hidden_info.items()}
        descriptions = key_descriptions or {}
        self._vocab = {
            key: _words(key.replace("_", " ")) | _words(descriptions.get(key, ""))
            for key in self.facts
        }
        self.revealed: list[str] = []

    def keys_asked(self, message: str) -> set[str]:
        """The hidden-information keys a message asks about (any word in common)."""
        asked = _words(message)
        return {key for key, vocab in self._vocab.items() if asked & vocab}

    async def respond(self, message: str, *, question: bool) -> str | None:
        """Answer a question from hidden info, confirm a request for confirmation, else None."""
        if not question:
            return None
        asked = _words(message)
        best, overlap = None, 0
        for key, vocab in self._vocab.items():
            score = len(asked & vocab)
            if score > overlap:
                best, overlap = key, score
        if best is not None:
            self.revealed.append(best)
            return self.facts[best]
        if _CONFIRM.search(message.lower()):
            return CONFIRMATION
        return DONT_KNOW
