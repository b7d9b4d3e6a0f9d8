"""Reading other tools' records: shape errors name the field, leftovers are kept by place."""

from __future__ import annotations

from typing import Any

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, keep_unmapped, member


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("3", int, "expected integer, got string"),
        (True, float, "expected number, got boolean"),
        (None, dict, "expected object, got null"),
        ([1], str, "expected string, got array"),
    ],
)
def test_a_value_of_another_type_is_named_where_it_is(value: Any, kind: type, message: str) -> None:
    with pytest.raises(ConversionError, match=message) as caught:
        expect(value, kind, "steps[2].id")
    assert caught.value.path == "steps[2].id"


def test_numbers_and_members() -> None:
    assert expect(3, float, "x") == 3
    assert member({"a": {"b": 1}}, "a", dict, "$") == {"b": 1}
    with pytest.raises(ConversionError, match="missing required key") as caught:
        member({}, "b", int, "a")
    assert caught.value.path == "a.b"


def test_leftovers_gather_under_their_place() -> None:
    extra: dict[str, Any] = {}
    keep_unmapped(extra, "$", {"id": 1, "x": 2}, ("id",))
    keep_unmapped(extra, "$", {"y": None}, ())
    keep_unmapped(extra, "steps[0]", {"id": 1}, ("id",))
    assert extra == {"$": {"x": 2, "y": None}}
