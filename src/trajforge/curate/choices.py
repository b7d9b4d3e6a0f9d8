"""The choices of a settings field: what a config may write where it wrote an invalid enum value
(``[audit].allocation: invalid enum value 'prop'`` gets ``one of: equal, proportional``)."""

from __future__ import annotations

import re
from typing import Any, Final

from msgspec import inspect

_PART: Final = re.compile(r"\.?([A-Za-z_]\w*)|\[([^\]]*)\]")


def choices_at(settings: type[Any], path: str) -> list[str] | None:
    """The values allowed at ``path`` (``strata[0]``, ``mix[1].action``) of the ``settings``
    struct, if a literal or an enum is expected there."""
    kinds = [inspect.type_info(settings)]
    for match in _PART.finditer(path):
        field = match.group(1)
        kinds = [inner for kind in kinds for inner in _inside(kind, field)]
    found = [str(value) for kind in kinds for value in _values(kind)]
    return sorted(set(found)) or None


def _inside(kind: inspect.Type, field: str | None) -> list[inspect.Type]:
    """The types found one step into ``kind``: its field ``field``, else its items."""
    match kind:
        case inspect.Metadata():
            return _inside(kind.type, field)
        case inspect.UnionType():
            return [inner for member in kind.types for inner in _inside(member, field)]
        case inspect.StructType() if field is not None:
            return [f.type for f in kind.fields if f.encode_name == field]
        case inspect.ListType() | inspect.SetType() | inspect.VarTupleType() if field is None:
            return [kind.item_type]
        case inspect.DictType() if field is None:
            return [kind.value_type]
    return []


def _values(kind: inspect.Type) -> list[Any]:
    match kind:
        case inspect.Metadata():
            return _values(kind.type)
        case inspect.UnionType():
            return [value for member in kind.types for value in _values(member)]
        case inspect.LiteralType():
            return list(kind.values)
        case inspect.EnumType():
            return [member.value for member in kind.cls]
    return []
