"""Conditions over a trajectory as a curation config writes them: small, declarative, no eval.

A condition is a TOML table with one subject and its tests:

- ``field = PATH`` (see :mod:`trajforge.curate.fields`) with ``eq``, ``ne``, ``in``,
  ``not_in``, ``all_in`` (every value is one of), ``lt``/``le``/``gt``/``ge`` or ``missing``;
  a path with several values (``steps.faults.kind``) passes when one of them does (``ne``,
  ``not_in``: when none equals, ``all_in``: when all are among);
- ``length = PATH`` (a path through a list): how many values it has, with the same tests
  (``length = "steps"``, ``gt = 30``);
- ``label = NAME`` (``"*"``: any): the trajectory has such a label, on a step or its own,
  narrowed by ``grade``, ``source`` (rule, verify, judge, human...) and ``recovered`` (see
  :mod:`trajforge.curate.facts`); tests compare the label's ``value``;
- ``fault = KIND`` (``"*"``: any) with ``recovered``: a fault injected at one of its steps;
- ``all = [...]``, ``any = [...]``, ``not = {...}``: conditions combined.

Several tests in one table must all pass (``gt = 3, lt = 10`` is a range). Paths, operands and
fault kinds are checked when the config is read: a ConfigError names the table's place
(``[filter].drop[2].field``) and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from trajforge.curate.facts import faults, labels, recoveries
from trajforge.curate.fields import FieldPath, check_value, field_path, is_numeric
from trajforge.envs.faults import FAULT_KINDS
from trajforge.errors import ConfigError
from trajforge.schema import Label, Trajectory
from trajforge.schema.records import LabelSourceKind

Predicate = Callable[[Trajectory], bool]
Values = list[Any]

#: What a condition can be about, and the tests that compare values.
SUBJECTS: Final = ("field", "length", "label", "fault", "all", "any", "not")
EQUALITY: Final = ("eq", "ne", "in", "not_in", "all_in")
ORDER: Final = ("lt", "le", "gt", "ge")
ANY_ONE: Final = "*"
_WORDS: Final = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
                 "not_in": "not in", "all_in": "all in"}  # fmt: skip


class Condition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One condition table of a curation config (see the module doc)."""

    field: str | None = None
    length: str | None = None
    label: str | None = None
    fault: str | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = msgspec.field(default=None, name="not")
    grade: str | None = None
    source: LabelSourceKind | None = None
    recovered: bool | None = None
    eq: Any = UNSET
    ne: Any = UNSET
    in_: list[Any] | UnsetType = msgspec.field(default=UNSET, name="in")
    not_in: list[Any] | UnsetType = UNSET
    all_in: list[Any] | UnsetType = UNSET
    lt: int | float | UnsetType = UNSET
    le: int | float | UnsetType = UNSET
    gt: int | float | UnsetType = UNSET
    ge: int | float | UnsetType = UNSET
    missing: bool | None = None

    def subject(self) -> str:
        """The one subject this condition is about (the caller checked there is one)."""
        return next(s for s in SUBJECTS if _given(self, s))

    def tests(self) -> dict[str, Any]:
        """The tests given, by their config name."""
        named = {op: getattr(self, _attr(op)) for op in (*EQUALITY, *ORDER)}
        found = {op: value for op, value in named.items() if value is not UNSET}
        if self.missing is not None:
            found["missing"] = self.missing
        return found


def compile_condition(condition: Condition, where: str) -> Predicate:
    """The predicate ``condition`` stands for; a ConfigError at ``where`` if it is unsound."""
    given = [s for s in SUBJECTS if _given(condition, s)]
    if len(given) != 1:
        what = "nothing" if not given else " and ".join(given)
        raise ConfigError(
            f"a condition is about one thing, this one about {what}",
            path=where,
            hint=f"give one of: {', '.join(SUBJECTS)}",
        )
    subject = given[0]
    _check_qualifiers(condition, subject, where)
    if subject in ("all", "any", "not"):
        return _combined(condition, subject, where)
    if subject == "fault":
        return _fault(condition, where)
    if subject == "label":
        return _label(condition, where)
    return _measured(condition, subject, where)


def describe(condition: Condition) -> str:
    """The condition in a few words, for reports (``outcome.status in ['failure']``)."""
    subject = condition.subject()
    if subject in ("all", "any"):
        parts: list[Condition] = getattr(condition, subject) or []
        return f"{subject} of (" + "; ".join(map(describe, parts)) + ")"
    if condition.not_ is not None:
        return f"not ({describe(condition.not_)})"
    head = {
        "field": str(condition.field),
        "length": f"length of {condition.length}",
        "label": f"label {condition.label}",
        "fault": f"fault {condition.fault}",
    }[subject]
    if condition.grade is not None:
        head += f" graded {condition.grade}"
    if condition.source is not None:
        head += f" from {condition.source}"
    if condition.recovered is not None:
        head += " (recovered)" if condition.recovered else " (not recovered)"
    tests = condition.tests().items()
    return " ".join([head, *(f"{_WORDS.get(op, op)} {value!r}" for op, value in tests)])


# -- subjects ------------------------------------------------------------------------------------


def _combined(condition: Condition, subject: str, where: str) -> Predicate:
    if condition.tests():
        raise ConfigError(f"'{subject}' takes conditions, not tests", path=where)
    if condition.not_ is not None:
        inner = compile_condition(condition.not_, f"{where}.not")
        return lambda t: not inner(t)
    parts: list[Condition] = getattr(condition, subject) or []
    if not parts:
        raise ConfigError(f"'{subject}' needs at least one condition", path=f"{where}.{subject}")
    compiled = [compile_condition(c, f"{where}.{subject}[{i}]") for i, c in enumerate(parts)]
    if subject == "all":
        return lambda t: all(p(t) for p in compiled)
    return lambda t: any(p(t) for p in compiled)


def _fault(condition: Condition, where: str) -> Predicate:
    kind = condition.fault
    if kind != ANY_ONE and kind not in FAULT_KINDS:
        raise ConfigError(
            f"unknown fault kind {kind!r}",
            path=f"{where}.fault",
            hint=f"choose '*' or one of: {', '.join(FAULT_KINDS)}",
        )
    if condition.tests():
        raise ConfigError("a fault condition takes no tests, only 'recovered'", path=where)
    recovered = condition.recovered

    def test(trajectory: Trajectory) -> bool:
        found = [(i, None) for i, f in faults(trajectory) if kind in (ANY_ONE, f.kind)]
        return _any_recovered(trajectory, found, recovered)

    return test


def _label(condition: Condition, where: str) -> Predicate:
    name, grade, source = condition.label, condition.grade, condition.source
    passes = _tests(condition.tests(), numeric=True, where=where, path=None)
    recovered = condition.recovered

    def test(trajectory: Trajectory) -> bool:
        found = [
            (step, lb)
            for step, lb in labels(trajectory)
            if name in (ANY_ONE, lb.name)
            and grade in (None, lb.grade)
            and source in (None, lb.source.kind)
            and passes([] if lb.value is None else [lb.value])
        ]
        return _any_recovered(trajectory, found, recovered)

    return test


def _any_recovered(
    trajectory: Trajectory,
    problems: Sequence[tuple[int | None, Label | None]],
    recovered: bool | None,
) -> bool:
    """Whether one of the ``problems`` (a fault's step, or a label with its step) is as
    ``recovered`` asks (any if ``None``)."""
    if recovered is None or not problems:
        return bool(problems)
    found = recoveries(trajectory)
    return any(found.recovered(step, label) == recovered for step, label in problems)


def _measured(condition: Condition, subject: str, where: str) -> Predicate:
    """A ``field`` or ``length`` condition."""
    text = str(getattr(condition, subject))
    path = field_path(text, where=f"{where}.{subject}")
    tests = condition.tests()
    if not tests:
        raise ConfigError(
            f"'{subject}' needs a test",
            path=where,
            hint=f"one of: {', '.join([*EQUALITY, *ORDER, 'missing'])}",
        )
    if subject == "length":
        if not path.multi:
            raise ConfigError(
                f"{text} has one value at most: 'length' counts the values of a list",
                path=f"{where}.length",
            )
        if "missing" in tests:
            raise ConfigError("a length is never missing", path=f"{where}.missing")
        passes = _tests(tests, numeric=True, where=where, path=None)
        return lambda t: passes([len(path.get(t))])
    if not path.scalar and set(tests) != {"missing"}:
        raise ConfigError(
            f"{text} is a record or list: test one of its fields, or 'missing'",
            path=f"{where}.field",
        )
    passes = _tests(tests, numeric=is_numeric(path), where=where, path=path)
    return lambda t: passes(path.get(t))


def _check_qualifiers(condition: Condition, subject: str, where: str) -> None:
    allowed = {"label": ("grade", "source", "recovered"), "fault": ("recovered",)}.get(subject, ())
    for name in ("grade", "source", "recovered"):
        if getattr(condition, name) is not None and name not in allowed:
            raise ConfigError(
                f"'{name}' narrows a label{' or fault' if name == 'recovered' else ''}, "
                f"not a {subject} condition",
                path=f"{where}.{name}",
            )


# -- tests ---------------------------------------------------------------------------------------


def _tests(
    tests: dict[str, Any], *, numeric: bool, where: str, path: FieldPath | None
) -> Callable[[Values], bool]:
    """One function running every test on a list of values."""
    checks: list[Callable[[Values], bool]] = []
    for op, operand in tests.items():
        at = f"{where}.{op}"
        if op in ORDER and not numeric:
            raise ConfigError(f"'{op}' compares numbers, and {_name(path)} are not", path=at)
        checked = _operand(op, operand, path, at) if op in EQUALITY else operand
        checks.append(_test(op, checked))
    return lambda values: all(check(values) for check in checks)


def _operand(op: str, operand: Any, path: FieldPath | None, where: str) -> Any:
    listed = op in ("in", "not_in", "all_in")
    items = operand if listed else [operand]
    if path is None:  # a length or a label's value: numbers
        bad = [x for x in items if not _number(x)]
        if bad:
            raise ConfigError(f"expected numbers, got {bad[0]!r}", path=where)
        return operand
    checked = [check_value(path, x, where=where) for x in items]
    return checked if listed else checked[0]


def _test(op: str, operand: Any) -> Callable[[Values], bool]:
    if op == "eq":
        return lambda values: any(_same(v, operand) for v in values)
    if op == "ne":
        return lambda values: not any(_same(v, operand) for v in values)
    if op == "in":
        return lambda values: any(_among(v, operand) for v in values)
    if op == "not_in":
        return lambda values: not any(_among(v, operand) for v in values)
    if op == "all_in":
        return lambda values: all(_among(v, operand) for v in values)
    if op == "missing":
        return lambda values: (not values) == operand
    compare: Callable[[Any, Any], bool] = {
        "lt": float.__lt__,
        "le": float.__le__,
        "gt": float.__gt__,
        "ge": float.__ge__,
    }[op]
    bound = float(operand)
    return lambda values: any(_number(v) and compare(float(v), bound) for v in values)


def _same(a: Any, b: Any) -> bool:
    """Equal, a boolean never equal to a number (``True == 1`` in Python)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _among(value: Any, operands: list[Any]) -> bool:
    return any(_same(value, x) for x in operands)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _given(condition: Condition, subject: str) -> bool:
    return getattr(condition, _attr(subject)) is not None


def _attr(name: str) -> str:
    return {"in": "in_", "not": "not_"}.get(name, name)


def _name(path: FieldPath | None) -> str:
    return "its values" if path is None else f"the values of {path.text}"
