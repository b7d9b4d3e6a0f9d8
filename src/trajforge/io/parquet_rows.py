"""Trajectories decoded from JSON straight into Parquet rows: validated, free-form values as text.

Writing a trajectory to Parquet makes the JSON row Arrow's reader takes, where every value stored
as JSON text (tool arguments, JSON Schemas: see :mod:`trajforge.io.arrow_schema`) is a string.
From JSON input that row is decoded directly, in one pass of msgspec's: the row types mirror the
record types field for field (the same types, constraints, tags and defaults, so the same
validation), except that a field stored as JSON text is typed :class:`JsonText`, made by a decode
hook from the value after checking it against the field's own type. This skips making a
Trajectory, turning it into dicts and walking them for the JSON values (most of a conversion's
time outside Arrow).

A document the row types refuse is decoded by :class:`TrajectoryDecoder`, whose error (located
and worded as everywhere else) is raised; should that decoder take it after all, the
Trajectory is returned instead, so no record is lost to a difference between the two.
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Final, Union

import msgspec

from trajforge.io.arrow_schema import JsonLeaf, ListNode, Node, StructNode, table_plan
from trajforge.schema import ToolSpec, Trajectory, TrajectoryDecoder
from trajforge.schema.codec import SHARED_TOOL_LISTS, refuse_repeated_keys

_encode = msgspec.json.Encoder().encode


Check = Callable[[Any], Any]
"""Validates a decoded JSON value against a type, returning what to store (or raising)."""


class JsonText(str):
    """The JSON text of a free-form value; each field's subclass checks values of its type."""

    __slots__ = ()
    check: ClassVar[Check | None] = None
    """None: any JSON value is one of the type."""

    row_value = str.__str__
    """The value in a Parquet row: the text as a string."""

    def json_value(self) -> msgspec.Raw:
        """The value in the trajectory's JSON: the text itself."""
        return msgspec.Raw(self.encode())


class Row(msgspec.Struct):
    """Base of the generated row types."""


class TrajectoryRow(Row, kw_only=True):
    """Base of the row type of a trajectory."""

    id: str


def _decode_hook(kind: type[JsonText], value: Any) -> JsonText:
    check = kind.check
    return kind(_encode(value if check is None else check(value)).decode())


def _an_object(value: Any) -> Any:
    if type(value) is not dict:
        raise TypeError("expected an object")
    return value  # a JSON object's keys are strings


def _check(value_type: Any) -> Check | None:
    """The check of values of ``value_type`` (the common ones without ``msgspec.convert``)."""
    if value_type is Any:
        return None
    if value_type == dict[str, Any]:
        return _an_object
    return functools.partial(msgspec.convert, type=value_type)


@functools.cache
def _json_text(value_type: Any) -> type[JsonText]:
    """The JsonText type of values of ``value_type``."""
    check = _check(value_type)
    attributes = {"__slots__": (), "check": None if check is None else staticmethod(check)}
    return type("JsonText", (JsonText,), attributes)


def _rebuild(annotation: Any, args: tuple[Any, ...]) -> Any:
    """``annotation``'s generic (list, tuple or union) over other ``args``."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return Union[args]  # noqa: UP007 - built from a tuple
    generic: Any = origin
    return generic[args[0]] if origin is list else generic[args]  # tuple: (item, Ellipsis)


def _raw_field(info: msgspec.structs.FieldInfo) -> tuple[Any, ...]:
    if info.default_factory is not msgspec.NODEFAULT:
        return info.name, msgspec.Raw, msgspec.Raw(_encode(info.default_factory()))
    if info.default is not msgspec.NODEFAULT:
        return info.name, msgspec.Raw, msgspec.Raw(_encode(info.default))
    return info.name, msgspec.Raw


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


class _RowTypes:
    """Row types made from a plan's nodes, one per struct variant."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, Any], type[Row]] = {}

    def of(
        self, node: StructNode, tag: Any, base: type[Row] = Row, raw: frozenset[str] = frozenset()
    ) -> type[Row]:
        """The row type of ``node``'s variant ``tag``: a subclass of ``base``, whose fields
        named in ``raw`` are left undecoded (``msgspec.Raw``)."""
        key = (id(node), tag)
        if key not in self._made:
            self._made[key] = self._make(node, tag, base, raw)
        return self._made[key]

    def _make(self, node: StructNode, tag: Any, base: type[Row], raw: frozenset[str]) -> type[Row]:
        cls = node.classes[tag]
        config = cls.__struct_config__
        infos = msgspec.structs.fields(cls)
        fields = [
            _raw_field(info) if info.name in raw else self._field(info, plan.node)
            for info, plan in zip(infos, node.variants[tag], strict=True)
        ]
        made = msgspec.defstruct(
            f"{cls.__name__}Row",
            fields,
            bases=(base,),
            kw_only=True,
            omit_defaults=config.omit_defaults,
            forbid_unknown_fields=config.forbid_unknown_fields,
            tag=config.tag,
            tag_field=config.tag_field,
            rename={info.name: info.encode_name for info in infos},
            gc=False,  # rows are trees: nothing for the garbage collector to find
        )
        return typing.cast(type[Row], made)

    def _field(self, info: msgspec.structs.FieldInfo, node: Node) -> tuple[Any, ...]:
        if isinstance(node, JsonLeaf):
            text = _json_text(info.type)
            if info.default is None:  # a null is the default: omitted, as by to_builtins
                return info.name, text | None, None
            if info.default_factory is not msgspec.NODEFAULT:
                return info.name, text, _decode_hook(text, info.default_factory())
            if info.default is not msgspec.NODEFAULT:
                return info.name, text, _decode_hook(text, info.default)
            return info.name, text
        kind = self.annotation(info.type, node)
        if info.default_factory is not msgspec.NODEFAULT:
            return info.name, kind, msgspec.field(default_factory=info.default_factory)
        if info.default is not msgspec.NODEFAULT:
            return info.name, kind, info.default
        return info.name, kind

    def annotation(self, annotation: Any, node: Node) -> Any:
        """The row type of values of ``annotation`` that the plan stores as ``node``."""
        if isinstance(node, JsonLeaf):
            return _json_text(annotation)
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            inner = self.annotation(annotation.__origin__, node)
            return Annotated[(inner, *annotation.__metadata__)]
        args = typing.get_args(annotation)
        if origin in (Union, types.UnionType):
            return _rebuild(annotation, tuple(self.annotation(a, node) for a in args))
        if isinstance(node, ListNode) and origin in (list, tuple):
            return _rebuild(annotation, (self.annotation(args[0], node.item), *args[1:]))
        if isinstance(node, StructNode) and _is_struct(annotation):
            return self.of(node, annotation.__struct_config__.tag)
        return annotation  # None, a primitive, a literal: as it is


@functools.cache
def _row_types() -> tuple[type[TrajectoryRow], Any]:
    """The row type of :class:`Trajectory`, its tools left undecoded, and that of its tools."""
    plan = table_plan(Trajectory)
    made = _RowTypes()
    row = made.of(plan.root, None, TrajectoryRow, raw=frozenset({"tools"}))
    assert issubclass(row, TrajectoryRow)
    return row, made.annotation(list[ToolSpec], plan.root.merged["tools"].node)


class _Tools:
    """A tool list as a row holds it: decoded once for all the rows whose tools are the same
    JSON (kilobytes of JSON Schemas in a run's every trajectory), encoded once both ways."""

    __slots__ = ("json", "parquet")

    def __init__(self, tools: Any) -> None:
        self.parquet = msgspec.Raw(_ROW_ENCODER.encode(tools))
        self.json = msgspec.Raw(_JSON_ENCODER.encode(tools))

    def row_value(self) -> msgspec.Raw:
        """The tools in a Parquet row."""
        return self.parquet

    def json_value(self) -> msgspec.Raw:
        """The tools in the trajectory's JSON."""
        return self.json


# each value the encoders do not know (JsonText, _Tools) says how it is written
_ROW_ENCODER: Final = msgspec.json.Encoder(enc_hook=operator.methodcaller("row_value"))
_JSON_ENCODER: Final = msgspec.json.Encoder(enc_hook=operator.methodcaller("json_value"))

#: Encode a row as the JSON line Arrow's reader takes (its JSON text as strings); also a row
#: of plain dicts and lists (``TablePlan.write_row``'s).
encode_row: Final[Callable[[Any], bytes]] = _ROW_ENCODER.encode
#: Encode a row as the trajectory's JSON (its JSON text as the values), as ``encode`` would.
encode_row_json: Final[Callable[[TrajectoryRow], bytes]] = _JSON_ENCODER.encode

_ROW_ERRORS: Final = (msgspec.MsgspecError, UnicodeDecodeError, RecursionError)


class RowDecoder:
    """Decode JSON bytes of a trajectory into its Parquet row, validated as a Trajectory.

    Errors are TrajectoryDecoder's; ``unique_keys`` refuses a record that repeats a key.
    """

    def __init__(self, *, unique_keys: bool = False) -> None:
        self.unique_keys = unique_keys
        row, tools = _row_types()
        self._decoder = msgspec.json.Decoder(row, dec_hook=_decode_hook)
        self._tools_decoder = msgspec.json.Decoder(tools, dec_hook=_decode_hook)
        self._tools: dict[bytes, _Tools] = {}
        self._trajectories = TrajectoryDecoder(unique_keys=unique_keys)

    def decode(self, data: bytes) -> TrajectoryRow | Trajectory:
        """The row of ``data``; a Trajectory where only the trajectory decoder takes it."""
        try:
            row: Any = self._decoder.decode(data)
            row.tools = self._tool_list(row.tools)
        except _ROW_ERRORS:
            return self._trajectories.decode(data)  # raises its located error
        if self.unique_keys:
            refuse_repeated_keys(data)
        return typing.cast(TrajectoryRow, row)

    def _tool_list(self, raw: msgspec.Raw) -> _Tools:
        key = bytes(raw)
        found = self._tools.get(key)
        if found is None:
            if len(self._tools) >= SHARED_TOOL_LISTS:
                self._tools.clear()
            found = self._tools[key] = _Tools(self._tools_decoder.decode(key))
        return found
