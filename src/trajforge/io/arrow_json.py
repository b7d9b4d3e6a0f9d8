"""Blocks of JSON lines into Arrow tables of a wide schema, parsed with only the fields used.

Arrow's JSON reader, given a schema, appends a null to every field an object leaves out, so a
wide schema costs more than the data: a trajectory's has 122 leaves, a typical record uses about
40, and parsing with the full schema took 60% longer than with only the fields present. So a
block is parsed with the schema pruned to the fields seen so far (and those every row writes),
and widened to the full schema afterwards (the fields left out are all null). A block that uses a
field not seen before fails to parse ("unexpected field"): it is parsed again with the full
schema, and its fields are learned. The first fields are learned from the first rows of the
first block, parsed whole (a block parsed whole costs more than pruning saves on it). Should a
failed block teach nothing (the block holds a key written with a null value, which leaves no
trace in the table), pruning stops for good.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Final

import pyarrow as pa
import pyarrow.json as pa_json

from trajforge.io.arrow_schema import FieldPath

#: The largest block Arrow's JSON reader takes (its size is a 32-bit integer).
MAX_JSON_BLOCK: Final = 2**31 - 1
#: How many rows of the first block the first fields are learned from.
SAMPLE_ROWS: Final = 50


def _options(schema: pa.Schema) -> pa_json.ParseOptions:
    return pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")


def parse_block(data: bytes, options: pa_json.ParseOptions) -> pa.Table:
    """Parse JSON lines as one block on this thread: each column comes out as one chunk, which
    Arrow parses and Parquet writes faster than many; threads would cost more CPU than they
    save on a block."""
    read = pa_json.ReadOptions(block_size=min(len(data) + 1, MAX_JSON_BLOCK), use_threads=False)
    source = pa.BufferReader(pa.py_buffer(data))
    return pa_json.read_json(source, read_options=read, parse_options=options)


class JsonBlockParser:
    """Parse blocks of JSON lines into tables of ``schema``, learning the fields they use.

    ``always``: the fields whose keys every row holds where their struct is present (possibly
    with a null value), which the pruned schema therefore always keeps.
    """

    def __init__(self, schema: pa.Schema, always: Iterable[FieldPath] = ()) -> None:
        self.schema = schema
        self._full = _options(schema)
        self._keep: set[FieldPath] = set(always)
        self._pruned: pa_json.ParseOptions | None = None
        self._learning = True

    @property
    def pruned_schema(self) -> pa.Schema | None:
        """The schema blocks are parsed with now (None: the full schema)."""
        return None if self._pruned is None else self._pruned.explicit_schema

    def parse(self, lines: Sequence[bytes]) -> pa.Table:
        """The table of JSON ``lines`` (errors are Arrow's, as from its reader)."""
        if self._learning and self._pruned is None and lines:
            with contextlib.suppress(pa.ArrowException):  # bad rows: the whole block says so
                self._learn(self.parse_full(lines[:SAMPLE_ROWS]))
        data = b"\n".join(lines)
        if self._pruned is not None:
            try:
                return self._widen(parse_block(data, self._pruned))
            except pa.ArrowException:
                pass  # a field not seen before, or data Arrow refuses: parse it whole
        table = parse_block(data, self._full)
        if self._learning:
            self._learn(table)
        return table

    def parse_full(self, lines: Sequence[bytes]) -> pa.Table:
        """The table of JSON ``lines``, parsed with the full schema."""
        return parse_block(b"\n".join(lines), self._full)

    def _learn(self, table: pa.Table) -> None:
        before = len(self._keep)
        for name, column in zip(table.column_names, table.columns, strict=True):
            for chunk in column.chunks:
                _collect_used(chunk, (name,), self._keep)
        if self._pruned is not None and len(self._keep) == before:
            self._pruned, self._learning = None, False  # the pruned parse fails for another reason
            return
        fields = [f for f in self.schema if (f.name,) in self._keep]
        self._pruned = _options(pa.schema([_pruned(f, (f.name,), self._keep) for f in fields]))

    def _widen(self, table: pa.Table) -> pa.Table:
        present = set(table.column_names)
        columns = [
            table.column(f.name).cast(f.type) if f.name in present else pa.nulls(len(table), f.type)
            for f in self.schema
        ]
        return pa.Table.from_arrays(columns, schema=self.schema)


def _collect_used(array: pa.Array, path: FieldPath, used: set[FieldPath]) -> None:
    """Add ``path`` and the paths below it that hold a value in ``array`` to ``used``."""
    if array.null_count == len(array):
        return
    used.add(path)
    kind = array.type
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            _collect_used(array.field(index), (*path, kind.field(index).name), used)
    elif pa.types.is_list(kind):
        _collect_used(array.flatten(), path, used)


def _pruned(field: pa.Field, path: FieldPath, keep: set[FieldPath]) -> pa.Field:
    """``field`` with only the nested fields in ``keep``."""
    kind = field.type
    if pa.types.is_struct(kind):
        children = [kind.field(i) for i in range(kind.num_fields)]
        kind = pa.struct(
            [_pruned(c, (*path, c.name), keep) for c in children if (*path, c.name) in keep]
        )
    elif pa.types.is_list(kind):
        kind = pa.list_(_pruned(kind.value_field, path, keep))
    return field.with_type(kind)
