"""The options of every export, in one place: which step labels mark a mistake, how tool data is
stored, and the thresholds of the preference formats.

Commands pass them to writers as the ``export`` writing option; a writer uses those that apply to
it, and the dataset card lists them all. A format's own writer options (``tokenized``'s
tokenizer, template and lengths) are passed apart, checked by :func:`checked_writer_options`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

import msgspec

from trajforge.errors import ConfigError
from trajforge.schema.codec import schema_error
from trajforge.schema.records import LabelSourceKind, Unit

if TYPE_CHECKING:
    from trajforge.formats.base import Format

MISTAKE_CLASSES: Final = (
    # the grades of the problems rule graders find (grade/rules)
    "redundant",
    "loop",
    "error",
    "wrong-argument",
    "hallucinated-argument",
    "error-ignored",
    "unsupported",
    "violation",
    "unnecessary-tool",
    "missing-tool",
    "premature-finish",
    # an LLM judge's verdict and a process label's (grade/judge, grade/process)
    "incorrect",
    "unreachable",
    # the name of the generator's labels on the mistakes it injected (agents/mistakes)
    "injected_mistake",
)
"""Label grades and names that mark a step a mistake by default; verify's ``error`` grade
(unknown tool, invalid arguments) is among them, its ``warning`` is not."""

LABEL_SOURCES: Final[tuple[LabelSourceKind, ...]] = get_args(LabelSourceKind)

KtoUnit = Literal["trajectory", "step"]


class ExportOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How trajectories become training rows (see each field); build it with :func:`load_options`
    so that its values are checked."""

    mistake_classes: tuple[str, ...] = MISTAKE_CLASSES
    """A step label whose grade or name is one of these marks its step a mistake."""
    mistake_below: Unit = 0.5
    """A step label whose value is below this marks its step a mistake (a rule's problem is 0,
    a judge's value its confidence, a process label the share of roll-outs that succeed)."""
    label_sources: tuple[LabelSourceKind, ...] = LABEL_SOURCES
    """The label sources that count, for step labels and the trajectory's ``score`` label."""
    json_strings: bool = False
    """TRL formats: tool schemas (the ``tools`` column) and call arguments as JSON strings, since
    Arrow gives mixed-shape nested values the union of their keys, filled with nulls."""
    margin: Unit = 0.1
    """dpo: the least difference that ranks one continuation above another (see
    :mod:`trajforge.formats.ranking`); a smaller one makes no pair."""
    kto_unit: KtoUnit = "trajectory"
    """kto: one row per trajectory (labelled by its outcome and mistakes) or per step."""
    desirable_at: Unit = 1.0
    """kto per trajectory: the outcome (else ``score`` label) value a desirable row needs."""


def load_options(values: Mapping[str, Any]) -> ExportOptions:
    """Checked export options from a mapping (CLI values); a ConfigError names the field."""
    try:
        return msgspec.convert(dict(values), ExportOptions)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        field = (error.path or "").split("[")[0]
        raise ConfigError(
            error.message,
            path=_flag(field) if field else None,
            hint="see trajforge export --help",
        ) from None


def export_options(options: Mapping[str, Any]) -> ExportOptions:
    """The ``export`` entry of a writer's options, or the defaults."""
    found = options.get("export")
    if found is None:
        return ExportOptions()
    if not isinstance(found, ExportOptions):
        raise TypeError(f"the export option must be ExportOptions, got {type(found).__name__}")
    return found


def checked_writer_options(fmt: Format, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as the options of ``fmt``'s own writer; a ConfigError names the first option
    (as the export command spells it) that this writer does not take."""
    for key in values:
        if key not in fmt.writer_options:
            takes = ", ".join(_flag(name) for name in fmt.writer_options)
            raise ConfigError(
                f"the {fmt.name} export has no option {_flag(key)}",
                path=_flag(key),
                hint=f"its options: {takes}" if takes else "it takes the export options alone",
            )
    return dict(values)


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"
