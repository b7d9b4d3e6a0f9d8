"""Reading other tools' records: values checked against the shape a format documents, with the
field path in the error, and the keys no trajforge field holds kept for ``provenance.extra``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final, TypeVar

from trajforge.errors import ConversionError

T = TypeVar("T")

_JSON_NAMES: Final = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (``object``, ``array``, ``string``...)."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def expect(value: Any, kind: type[T], path: str) -> T:
    """``value`` if it is a ``kind`` (dict, list, str...), else a ConversionError at ``path``.

    ``bool`` is not taken for a number, ``int`` is for ``float``.
    """
    if isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float)):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return value  # type: ignore[return-value]  # a JSON number either way
    raise ConversionError(
        f"expected {_JSON_NAMES.get(kind, kind.__name__)}, got {json_type(value)}", path=path
    )


def member(record: Mapping[str, Any], key: str, kind: type[T], path: str) -> T:
    """``record[key]`` checked to be a ``kind``; a missing key is a ConversionError at ``path``."""
    where = f"{path}.{key}" if path and path != "$" else key
    if key not in record:
        raise ConversionError("missing required key", path=where)
    return expect(record[key], kind, where)


def keep_unmapped(
    extra: dict[str, Any], where: str, record: Mapping[str, Any], mapped: Collection[str]
) -> None:
    """Put the keys of ``record`` other than ``mapped`` into ``extra[where]`` (nothing if none).

    ``where`` is the record's place in the source record (``$`` for its top level), as
    ``provenance.extra`` keeps it.
    """
    rest = {key: value for key, value in record.items() if key not in mapped}
    if rest:
        extra.setdefault(where, {}).update(rest)
