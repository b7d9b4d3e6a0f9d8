"""Typed placeholders that stay consistent within one trajectory.

The first e-mail address found in a trajectory becomes ``<EMAIL_1>``, the second distinct one
``<EMAIL_2>``, and every later occurrence of the same value (by its normalised key) gets the same
placeholder again, in tool arguments and in the observations that echo them alike, so the
redacted trajectory still reads coherently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Placeholders:
    """The placeholders given so far in one trajectory, and how many values each kind replaced."""

    given: dict[tuple[str, str], str] = field(default_factory=dict)
    replaced: Counter[str] = field(default_factory=Counter)
    _distinct: Counter[str] = field(default_factory=Counter, init=False, repr=False)

    def of(self, kind: str, key: str) -> str:
        """The placeholder of the value ``key`` of ``kind`` (a new one for a new value)."""
        self.replaced[kind] += 1
        placeholder = self.given.get((kind, key))
        if placeholder is None:
            self._distinct[kind] += 1
            placeholder = f"<{kind.upper()}_{self._distinct[kind]}>"
            self.given[kind, key] = placeholder
        return placeholder

    def distinct(self) -> Counter[str]:
        """Distinct values replaced, by kind."""
        return Counter(self._distinct)
