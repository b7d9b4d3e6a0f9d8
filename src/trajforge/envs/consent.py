"""Whether a user's answer gives consent: what "yes" means, the same in every environment."""

from __future__ import annotations

import re
from typing import Final

_YES: Final = re.compile(
    r"\b(yes|yeah|yep|yup|sure|confirm(?:ed|s)?|go ahead|please do|do it|ok(?:ay)?|approved?|"
    r"proceed|sounds good|that'?s (?:right|correct))\b",
    re.IGNORECASE,
)
#: Phrases with a "no" in them that refuse nothing.
_NOT_A_NO: Final = re.compile(r"\bno (?:problem|worries)\b|\bwhy not\b", re.IGNORECASE)
#: An answer that opens with a refusal or a pause.
_LEADING_NO: Final = re.compile(
    r"^\W*(?:actually,?\s+|well,?\s+)?"
    r"(?:no|nope|not|don'?t|do not|never|wait|stop|hold on|never ?mind)\b",
    re.IGNORECASE,
)
#: A yes taken back in the same breath: "yes, but not yet", "yes, but don't delete them".
_RESERVATION: Final = re.compile(
    r"\bbut\b[^.!?]*?(?:\bnot\b|n't\b|\bnever\b|\bwait\b|\bhold on\b|\bstop\b)", re.IGNORECASE
)


def gives_consent(text: str) -> bool:
    """Whether a user's message is an explicit yes: a yes, neither opened with a refusal nor
    taken back with a "but ... not"."""
    return bool(_YES.search(text)) and not refuses(text)


def refuses(text: str) -> bool:
    """Whether a user's message opens with a refusal or takes a yes back."""
    text = _NOT_A_NO.sub(" ", text)
    return bool(_LEADING_NO.search(text) or _RESERVATION.search(text))
