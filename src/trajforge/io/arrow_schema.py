"""Derive a nested Arrow schema from msgspec Struct types, with row converters both ways.

The type tree is walked once (``msgspec.inspect``) into a plan of nodes; each node knows its Arrow
type and compiles converters, so per-record work is a few dict operations. Mapping rules:

- Struct → struct; list → list; str/int/float/bool → the primitive (every Arrow field nullable);
- ``Literal`` → its value type (string for string literals);
- a tagged union of Structs (``ToolCall | Reply | ...``) → one struct holding the tag field and the
  union of all variants' fields; on read only the fields of the variant named by the tag are kept;
- free-form values (``Any``, ``dict[str, Any]``, other unions, anything else) → a JSON string leaf.

Rows go in as ``msgspec.to_builtins`` output, where defaults are omitted: an omitted field becomes
null, and on read a null field that has a default is dropped again so the default applies. A field
whose null would be ambiguous (it accepts None but defaults to something else) is stored as JSON,
where ``"null"`` and a missing value differ.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import msgspec
import msgspec.inspect as mi
import pyarrow as pa

from trajforge.errors import InputError

Converter = Callable[[Any], Any]

_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode

SCHEMA_METADATA_KEY: Final = b"trajforge.layout"
SCHEMA_LAYOUT: Final = b"nested-1"


class Node:
    """One type in the plan: its Arrow type and converters from/to plain Python data."""

    arrow_type: pa.DataType

    def writer(self) -> Converter | None:
        """Converter from ``to_builtins`` data to Arrow-ready data (None: unchanged)."""
        return None

    def reader(self, file_type: pa.DataType, where: str) -> Converter | None:
        """Converter from a column of ``file_type`` (``to_pylist`` data) back to builtins."""
        return None


class Leaf(Node):
    """A primitive stored as itself."""

    def __init__(self, arrow_type: pa.DataType) -> None:
        self.arrow_type = arrow_type


class JsonLeaf(Node):
    """A free-form value stored as its JSON text (``null`` included)."""

    arrow_type = pa.string()

    def writer(self) -> Converter:
        def write(value: Any) -> str:
            return _json_encode(value).decode("utf-8")

        return write

    def reader(self, file_type: pa.DataType, where: str) -> Converter | None:
        if pa.types.is_string(file_type) or pa.types.is_large_string(file_type):
            return _json_decode
        return None


class ListNode(Node):
    """A list of items of one type."""

    def __init__(self, item: Node) -> None:
        self.item = item
        self.arrow_type = pa.list_(item.arrow_type)

    def writer(self) -> Converter | None:
        item = self.item.writer()
        if item is None:
            return None

        if isinstance(self.item, StructNode):  # struct writers work in place

            def write_in_place(value: list[Any] | None) -> list[Any] | None:
                if value is not None:
                    for x in value:
                        item(x)
                return value

            return write_in_place

        def write(value: list[Any] | None) -> list[Any] | None:
            return None if value is None else [item(x) for x in value]

        return write

    def reader(self, file_type: pa.DataType, where: str) -> Converter | None:
        if not (pa.types.is_list(file_type) or pa.types.is_large_list(file_type)):
            return None
        item = self.item.reader(file_type.value_type, f"{where}[]")
        if item is None:
            return None

        if isinstance(self.item, StructNode):  # struct readers work in place

            def read_in_place(value: list[Any]) -> list[Any]:
                for x in value:
                    if x is not None:
                        item(x)
                return value

            return read_in_place

        def read(value: list[Any]) -> list[Any]:
            return [item(x) if x is not None else None for x in value]

        return read


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A struct field: its wire name, its node, and whether a null read back must be dropped.

    ``drop_null`` is true for optional fields whose default is not None (or that do not accept
    None): a null there means "omitted", so the key is removed and the default applies. Elsewhere
    a null is kept: it is the value (or, in a required field, an error validation reports).
    ``always`` is true where ``to_builtins`` writes the key whatever its value (a required field,
    a field of a Struct that does not omit defaults), so its value may be null.
    """

    name: str
    node: Node
    drop_null: bool
    always: bool = False


class StructNode(Node):
    """A Struct, or a tagged union of Structs merged into one Arrow struct.

    ``variants`` maps each tag value to that variant's fields, ``classes`` to its Struct type;
    an untagged Struct has a single variant under the key ``None``.
    """

    def __init__(
        self,
        tag_field: str | None,
        variants: dict[Any, tuple[FieldPlan, ...]],
        tag_type: Any,
        classes: dict[Any, type[msgspec.Struct]],
    ) -> None:
        self.tag_field = tag_field
        self.variants = variants
        self.classes = classes
        merged: dict[str, FieldPlan] = {}
        for fields in variants.values():
            for f in fields:
                merged.setdefault(f.name, f)
        self.merged = merged
        arrow_fields = [pa.field(name, f.node.arrow_type) for name, f in merged.items()]
        if tag_field is not None:
            arrow_fields.insert(0, pa.field(tag_field, tag_type))
        self.arrow_type = pa.struct(arrow_fields)

    # ---------------------------------------------------------------- write

    def writer(self) -> Converter | None:
        by_tag = {tag: self._field_writers(fields) for tag, fields in self.variants.items()}
        if not any(by_tag.values()):
            return None
        tag_field = self.tag_field
        if tag_field is None:
            convs = by_tag[None]

            def write(value: dict[str, Any] | None) -> dict[str, Any] | None:
                if value is not None:
                    for name, conv in convs:
                        if name in value:
                            value[name] = conv(value[name])
                return value

            return write

        def write_tagged(value: dict[str, Any] | None) -> dict[str, Any] | None:
            if value is not None:
                for name, conv in by_tag.get(value.get(tag_field), ()):
                    if name in value:
                        value[name] = conv(value[name])
            return value

        return write_tagged

    @staticmethod
    def _field_writers(fields: tuple[FieldPlan, ...]) -> tuple[tuple[str, Converter], ...]:
        out = []
        for f in fields:
            conv = f.node.writer()
            if conv is not None:
                out.append((f.name, conv))
        return tuple(out)

    # ---------------------------------------------------------------- read

    def reader(self, file_type: pa.DataType, where: str) -> Converter | None:
        if not pa.types.is_struct(file_type):
            return None
        file_fields = {
            file_type.field(i).name: file_type.field(i).type for i in range(file_type.num_fields)
        }
        known = set(self.merged) | ({self.tag_field} if self.tag_field else set())
        unknown = [name for name in file_fields if name not in known]
        if unknown:
            raise InputError(
                f"unknown column {_join(where, unknown[0])}",
                hint="the file was not written by this version of trajforge",
            )
        plans = {
            tag: _read_plan(fields, self.merged, file_fields, where)
            for tag, fields in self.variants.items()
        }
        if self.tag_field is None:
            return _struct_reader(plans[None]) if plans[None] else None
        # an unknown tag: drop every null and let validation report the tag
        every = tuple(FieldPlan(f.name, f.node, True) for f in self.merged.values())
        fallback = _read_plan(every, self.merged, file_fields, where)
        return _tagged_reader(self.tag_field, plans, fallback)


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


_ReadPlan = tuple[tuple[str, bool, Converter | None], ...]
"""For one struct (variant): (field, drop its null?, converter) for each field that needs work."""


def _read_plan(
    fields: tuple[FieldPlan, ...],
    merged: dict[str, FieldPlan],
    file_fields: dict[str, pa.DataType],
    where: str,
) -> _ReadPlan:
    ops: list[tuple[str, bool, Converter | None]] = []
    own = set()
    for f in fields:
        own.add(f.name)
        if f.name not in file_fields:
            continue  # an older file without this field: the default applies
        conv = f.node.reader(file_fields[f.name], _join(where, f.name))
        if f.drop_null or conv is not None:
            ops.append((f.name, f.drop_null, conv))
    # other variants' fields: a null there means "not part of this variant"
    ops += [(name, True, None) for name in merged if name not in own and name in file_fields]
    return tuple(ops)


# Struct readers work in place on the fresh dicts ``to_pylist`` returns. Empty values are left
# alone: an empty list needs no conversion, and an empty string is never valid JSON text.


def _apply(plan: _ReadPlan, value: dict[str, Any]) -> dict[str, Any]:
    """Read one struct in place by its plan: drop the nulls to drop, convert the rest."""
    for name, drop, conv in plan:
        v = value[name]
        if v is None:
            if drop:
                del value[name]
        elif v and conv is not None:
            value[name] = conv(v)
    return value


def _struct_reader(plan: _ReadPlan) -> Converter:
    return lambda value: _apply(plan, value)


def _tagged_reader(tag_field: str, plans: dict[Any, _ReadPlan], fallback: _ReadPlan) -> Converter:
    return lambda value: _apply(plans.get(value.get(tag_field), fallback), value)


# ---------------------------------------------------------------- building the plan


def _accepts_none(t: mi.Type) -> bool:
    if isinstance(t, mi.Metadata):
        return _accepts_none(t.type)
    if isinstance(t, mi.NoneType | mi.AnyType):
        return True
    return isinstance(t, mi.UnionType) and any(_accepts_none(x) for x in t.types)


def _field_plan(field: mi.Field, stack: tuple[type, ...], omit_defaults: bool) -> FieldPlan:
    node = _node(field.type, stack)
    if field.required:
        return FieldPlan(field.encode_name, node, drop_null=False, always=True)
    always = not omit_defaults
    accepts_none = _accepts_none(field.type)
    if accepts_none and field.default is None:
        return FieldPlan(field.encode_name, node, drop_null=False, always=always)
    if accepts_none:
        node = JsonLeaf()  # defaults to something else: keep "null" and "omitted" apart
    return FieldPlan(field.encode_name, node, drop_null=True, always=always)


def _struct_node(types: list[mi.StructType], stack: tuple[type, ...]) -> Node:
    tag_field = types[0].tag_field
    variants: dict[Any, tuple[FieldPlan, ...]] = {}
    for st in types:
        inner = (*stack, st.cls)
        omit = bool(st.cls.__struct_config__.omit_defaults)
        variants[st.tag] = tuple(_field_plan(f, inner, omit) for f in st.fields)
    # a field name shared by variants with different Arrow types is stored as JSON in all of them
    seen: dict[str, pa.DataType] = {}
    clash: set[str] = set()
    for fields in variants.values():
        for f in fields:
            if f.name in seen and seen[f.name] != f.node.arrow_type:
                clash.add(f.name)
            seen.setdefault(f.name, f.node.arrow_type)
    if clash:
        variants = {
            tag: tuple(
                FieldPlan(f.name, JsonLeaf(), f.drop_null, f.always) if f.name in clash else f
                for f in fields
            )
            for tag, fields in variants.items()
        }
    tags = [st.tag for st in types]
    tag_type = pa.int64() if tags and all(isinstance(t, int) for t in tags) else pa.string()
    return StructNode(tag_field, variants, tag_type, {st.tag: st.cls for st in types})


def _literal_node(values: tuple[Any, ...]) -> Node:
    if all(isinstance(v, str) for v in values):
        return Leaf(pa.string())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return Leaf(pa.int64())
    return JsonLeaf()


_PRIMITIVES: Final[dict[type, pa.DataType]] = {
    mi.StrType: pa.string(),
    mi.IntType: pa.int64(),
    mi.FloatType: pa.float64(),
    mi.BoolType: pa.bool_(),
}


def _node(t: mi.Type, stack: tuple[type, ...]) -> Node:
    if isinstance(t, mi.Metadata):
        return _node(t.type, stack)
    primitive = _PRIMITIVES.get(type(t))
    if primitive is not None:
        return Leaf(primitive)
    if isinstance(t, mi.LiteralType):
        return _literal_node(t.values)
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return ListNode(_node(t.item_type, stack))
    if isinstance(t, mi.StructType):
        if t.array_like or t.cls in stack:
            return JsonLeaf()
        return _struct_node([t], stack)
    if isinstance(t, mi.UnionType):
        rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if len(rest) == 1:
            return _node(rest[0], stack)
        structs = [x for x in rest if isinstance(x, mi.StructType)]
        if (
            len(structs) == len(rest)
            and structs[0].tag_field is not None
            and all(s.tag_field == structs[0].tag_field for s in structs)
            and not any(s.array_like or s.cls in stack for s in structs)
        ):
            return _struct_node(structs, stack)
    return JsonLeaf()


FieldPath = tuple[str, ...]
"""The field names from a column down to a nested field (a list's items share its path)."""


def _always_written(node: Node, path: FieldPath) -> Iterator[FieldPath]:
    """The paths below ``node`` whose keys ``to_builtins`` writes whatever their value."""
    if isinstance(node, ListNode):
        yield from _always_written(node.item, path)
    elif isinstance(node, StructNode):
        if node.tag_field is not None:
            yield (*path, node.tag_field)
        for fields in node.variants.values():
            yield from ((*path, f.name) for f in fields if f.always)
        for name, f in node.merged.items():
            yield from _always_written(f.node, (*path, name))


def _filter_columns(node: StructNode, prefix: str) -> Iterator[str]:
    """The dotted paths of the primitive leaves below ``node`` outside lists, not JSON text."""
    if node.tag_field is not None:
        yield prefix + node.tag_field
    for name, f in node.merged.items():
        if isinstance(f.node, StructNode):
            yield from _filter_columns(f.node, f"{prefix}{name}.")
        elif isinstance(f.node, Leaf):
            yield prefix + name


@dataclass(frozen=True)
class TablePlan:
    """The Arrow schema of a record type and its converters."""

    schema: pa.Schema
    root: StructNode
    write_row: Converter
    """Turn one record's ``to_builtins`` dict into an Arrow-ready row (mutates and returns it)."""
    always_written: frozenset[FieldPath]
    """The fields whose keys every written row holds where their struct is present (required
    fields, tags, top-level fields), null as their value may be."""
    filter_columns: tuple[str, ...]
    """The columns one value per row (outside lists), primitive (not JSON text): those whose
    statistics let a reader skip row groups (``id``, ``outcome.status``)."""

    def row_reader(self, file_schema: pa.Schema) -> Converter:
        """Compile the converter from rows of ``file_schema`` back to builtins.

        Raises InputError if the file has columns this schema does not know.
        """
        conv = self.root.reader(pa.struct(list(file_schema)), "")
        return conv or _identity


@functools.cache
def table_plan(cls: type[msgspec.Struct]) -> TablePlan:
    """The (cached) plan of a top-level Struct type: one column per field."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    root = _struct_node([info], ())
    assert isinstance(root, StructNode)
    schema = pa.schema(list(root.arrow_type), metadata={SCHEMA_METADATA_KEY: SCHEMA_LAYOUT})
    return TablePlan(
        schema=schema,
        root=root,
        write_row=root.writer() or _identity,
        always_written=frozenset(_always_written(root, ())),
        filter_columns=tuple(_filter_columns(root, "")),
    )


def _identity(value: Any) -> Any:
    return value
