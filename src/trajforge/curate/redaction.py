"""Redacting personal data and secrets out of a trajectory, every text field of it.

Every string of the record is scanned: the task (instruction, parameters, hidden information,
expected actions), the system prompt, tool descriptions and schemas, and in each step the
reasoning, plan, tool-call arguments (nested JSON values; keys stay) and ``raw_arguments``,
replies, observations, state notes, faults and label rationales, then the outcome, provenance
``extra`` and ``metadata``. What is found becomes a typed placeholder, the same one for the same
value throughout the trajectory (:mod:`trajforge.curate.placeholders`). Left alone are the
record's own identifiers and vocabulary: ids and call ids, tool and label names, enum values,
digests, environment names, seeds. Integers inside free-form JSON (arguments, parameters,
metadata) are scanned as their digits, so a card number stored as a number goes too; the
placeholder then replaces the number.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any, Final

import msgspec

from trajforge.curate.finding import Detector, Finding, resolve
from trajforge.curate.pii import PII_DETECTORS, RESERVED
from trajforge.curate.placeholders import Placeholders
from trajforge.curate.secrets import SECRET_DETECTORS
from trajforge.schema import Trajectory

#: Keys of the record family whose strings are identifiers or vocabulary, not text.
_IDENTIFIERS: Final = frozenset(
    {
        "id", "call_id", "parent_id", "kind", "name", "status", "error_kind", "schema_version",
        "seed", "env_state_digest", "final_state_digest", "digest", "environment",
        "environment_version", "domain", "role", "mode", "grade", "target", "source",
        "version", "policy", "model", "license", "original_format", "record_location",
    }
)  # fmt: skip
#: Keys of the record family holding free-form JSON: every value in them is scanned.
_FREE_FORM: Final = frozenset(
    {"arguments", "parameters", "hidden_info", "params", "details", "state_diff", "extra",
     "metadata", "sampling", "values"}
)  # fmt: skip
# the shortest integer that can hold a card number
_LONG_NUMBER: Final = 10**12
# the shortest text that can hold a value of some kind ("a@b.io", "1.2.3.4")
_SHORTEST: Final = 6
_CACHED: Final = 1024


class Redactor:
    """Finds the values of ``kinds`` in texts and puts placeholders in their place; values
    reserved for documentation and fiction stay unless ``keep_reserved`` is false.
    ``detectors`` replaces the built-in detector of a kind (``bench/redact.py`` measures other
    libraries' this way)."""

    def __init__(
        self,
        kinds: Collection[str],
        *,
        keep_reserved: bool = True,
        detectors: Mapping[str, Detector] | None = None,
    ) -> None:
        every = {**PII_DETECTORS, **SECRET_DETECTORS}
        unknown = sorted((set(kinds) | set(detectors or ())) - set(every))
        every.update(detectors or {})
        if unknown:
            raise ValueError(f"unknown kinds to redact: {', '.join(unknown)}")
        self.kinds = tuple(k for k in every if k in kinds)
        self._detectors: tuple[Detector, ...] = tuple(every[k] for k in self.kinds)
        self._reserved: Mapping[str, Callable[[str], bool]] = RESERVED if keep_reserved else {}
        # tool descriptions, schemas and system prompts come again in every trajectory
        self.find = lru_cache(maxsize=_CACHED)(self._find)  # type: ignore[method-assign]

    def find(self, text: str) -> tuple[Finding, ...]:
        """The values to replace in ``text``, in order, not overlapping."""
        return self._find(text)

    def _find(self, text: str) -> tuple[Finding, ...]:
        if len(text) < _SHORTEST:
            return ()
        reserved = self._reserved
        return resolve(
            finding
            for detect in self._detectors
            for finding in detect(text)
            if finding.kind not in reserved or not reserved[finding.kind](finding.key)
        )

    def text(self, text: str, placeholders: Placeholders, *, name: str = "") -> str:
        """``text`` with every value found replaced by its placeholder. ``name`` is the JSON key
        the text is the value of: some secrets are only recognisable by it
        (``"aws_secret_access_key": "..."``)."""
        shift = len(name) + 2 if name else 0
        findings = self.find(f"{name}: {text}" if name else text)
        if not findings:
            return text
        parts: list[str] = []
        last = 0
        for finding in findings:
            start, end = finding.start - shift, finding.end - shift
            if start < 0:
                continue
            parts += (text[last:start], placeholders.of(finding.kind, finding.key))
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def trajectory(self, trajectory: Trajectory) -> tuple[Trajectory, Placeholders]:
        """The trajectory redacted (the same object when nothing was found), and the
        placeholders given in it."""
        placeholders = Placeholders()
        redacted = self._value(msgspec.to_builtins(trajectory), placeholders, free=False)
        if not placeholders.replaced:
            return trajectory, placeholders
        return msgspec.convert(redacted, Trajectory), placeholders

    def _item(self, key: str, item: Any, placeholders: Placeholders, *, free: bool) -> Any:
        """A value of an object: a free-form one's strings scanned with their key."""
        if free and isinstance(item, str):
            return self.text(item, placeholders, name=key)
        if not free and key in _IDENTIFIERS:
            return item
        return self._value(item, placeholders, free=free or key in _FREE_FORM)

    def _value(self, value: Any, placeholders: Placeholders, *, free: bool) -> Any:
        if isinstance(value, str):
            return self.text(value, placeholders)
        if isinstance(value, dict):
            return {
                key: self._item(key, item, placeholders, free=free) for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._value(item, placeholders, free=free) for item in value]
        if free and type(value) is int and abs(value) >= _LONG_NUMBER:
            digits = str(value)
            redacted = self.text(digits, placeholders)
            return value if redacted == digits else redacted
        return value
