"""What a detector of personal data or secrets reports, and how overlapping reports are resolved.

A detector is a function from a text to :class:`Finding`\\ s: the kind, where it is, and a *key*
(the value normalised, so that one e-mail address written in two cases, or one phone number
written in two formats, gets one placeholder). Detectors run independently; :func:`resolve`
keeps, left to right, the longest of overlapping findings (the earlier kind in ``KINDS`` on a
tie), so that a card number is not also cut into a phone number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

#: Every kind, most specific first (the order breaks ties between overlapping findings).
KINDS: Final = (
    "private_key",
    "jwt",
    "api_key",
    "email",
    "iban",
    "card",
    "ip",
    "phone",
    "address",
)
PII_KINDS: Final = ("email", "phone", "card", "iban", "ip", "address")
SECRET_KINDS: Final = ("private_key", "jwt", "api_key")
_RANK: Final = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: its kind, its span ``text[start:end]`` and its normalised key."""

    kind: str
    start: int
    end: int
    key: str


Detector = Callable[[str], Iterable[Finding]]
"""Finds the values of one kind in a text."""


def resolve(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Non-overlapping findings in text order: of overlapping ones, the one starting first, then
    the longest, then the earliest kind in ``KINDS``."""
    ordered = sorted(findings, key=lambda f: (f.start, f.start - f.end, _RANK[f.kind]))
    kept: list[Finding] = []
    for finding in ordered:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return tuple(kept)
