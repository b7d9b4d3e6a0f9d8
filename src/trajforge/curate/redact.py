"""The ``[redact]`` curation step: personal data and secrets replaced by typed placeholders.

    [redact]
    pii = true            # e-mail and IP addresses, phone, card and IBAN numbers, street addresses
    secrets = true        # API keys and tokens, private keys, JWTs
    keep_reserved = true  # keep .example domains, 555-01xx numbers, private and documentation IPs

Every text field of every trajectory is redacted (:mod:`trajforge.curate.redaction`); the report
counts the values replaced by kind. The step streams: it holds one trajectory at a time, and its
counts. It needs the ``redact`` extra (``detect-secrets``, ``phonenumbers``, ``python-stdnum``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from trajforge.curate.finding import PII_KINDS, SECRET_KINDS
from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory

if TYPE_CHECKING:
    from trajforge.curate.redaction import Redactor


class RedactSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The ``[redact]`` table."""

    pii: bool = True
    secrets: bool = True
    keep_reserved: bool = True

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of values to redact."""
        return (PII_KINDS if self.pii else ()) + (SECRET_KINDS if self.secrets else ())


class RedactStep(SettingsStep[RedactSettings]):
    """Redacts every trajectory of a stream, counting what it replaced."""

    name = "redact"

    def __init__(self, settings: RedactSettings, context: StepContext, redactor: Redactor) -> None:
        super().__init__(settings, context)
        self.redactor = redactor
        self.seen = 0
        self.changed = 0
        self.replaced: Counter[str] = Counter()
        self.distinct: Counter[str] = Counter()

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The trajectories, redacted."""
        for trajectory in trajectories:
            redacted, placeholders = self.redactor.trajectory(trajectory)
            self.seen += 1
            self.changed += redacted is not trajectory
            self.replaced.update(placeholders.replaced)
            self.distinct.update(placeholders.distinct())
            yield redacted

    def report(self) -> dict[str, Any]:
        """Trajectories seen and changed, and the values replaced by kind (every occurrence, and
        distinct values within a trajectory)."""
        return {
            "trajectories": self.seen,
            "changed": self.changed,
            "replaced": dict(sorted(self.replaced.items())),
            "distinct": dict(sorted(self.distinct.items())),
        }


def make_redact(table: Mapping[str, Any], context: StepContext) -> RedactStep:
    """The ``[redact]`` step from its table."""
    settings = step_settings(table, RedactSettings, "redact")
    if not settings.kinds:
        raise ConfigError(
            "nothing to redact: pii and secrets are both false",
            path="[redact]",
            hint="leave out the [redact] table to keep everything",
        )
    try:
        from trajforge.curate.redaction import Redactor  # noqa: PLC0415 - needs the extra
    except ImportError as exc:
        raise ConfigError(
            f"[redact] needs the 'redact' extra ({exc.name} is not installed)",
            path="[redact]",
            hint="pip install 'trajforge[redact]'",
        ) from None
    redactor = Redactor(settings.kinds, keep_reserved=settings.keep_reserved)
    return RedactStep(settings, context, redactor)
