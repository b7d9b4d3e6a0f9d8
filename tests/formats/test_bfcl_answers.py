"""BFCL ground truth: key-by-key dict values spelled out, Python calls parsed, bad ones located."""

from __future__ import annotations

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.bfcl_answers import MAX_VARIANTS, multi_turn, single_turn
from trajforge.schema import ArgumentMatch, ExpectedAction, ToolSpec

TOOL = ToolSpec(
    name="book",
    parameters={
        "type": "object",
        "properties": {
            "when": {"type": "object"},
            "rooms": {"type": "array", "items": {"type": "object"}},
            "note": {"type": "object"},  # given as a plain value below: taken as it is
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
)


def test_dicts_written_key_by_key_are_spelled_out() -> None:
    truth = [
        {
            "book": {
                "when": [{"day": ["mon", "monday"], "hour": ["", 9]}],
                "rooms": [[{"size": [1, 2]}, {"size": [3]}]],
                "note": [{"text": "as is"}],
                "tags": [["a", "b"], ""],
            }
        }
    ]
    (action,) = single_turn(truth, [TOOL])
    assert action.match["when"] == ArgumentMatch(
        mode="any_of",
        values=[
            {"day": "mon", "hour": 9},
            {"day": "mon"},
            {"day": "monday", "hour": 9},
            {"day": "monday"},
        ],
    )
    assert action.arguments["when"] == {"day": "mon", "hour": 9}
    assert action.match["rooms"].values == [[{"size": 1}, {"size": 3}], [{"size": 2}, {"size": 3}]]
    assert action.arguments["note"] == {"text": "as is"}
    assert "note" not in action.match  # one accepted value: compared exactly
    assert "tags" not in action.arguments  # optional
    assert action.match["tags"] == ArgumentMatch(mode="any_of", values=[["a", "b"]])


def test_too_many_spelled_out_values_are_refused() -> None:
    options = {f"k{i}": [1, 2] for i in range(9)}  # 2**9 > MAX_VARIANTS
    assert MAX_VARIANTS < 2**9
    with pytest.raises(ConversionError) as caught:
        single_turn([{"book": {"when": [options]}}], [TOOL])
    assert caught.value.path == "ground_truth[0].book.when"


def test_python_calls_are_parsed_with_their_literals() -> None:
    docs = [ToolSpec(name="mv", parameters={"properties": {"source": {}, "destination": {}}})]
    truth = [["mv('a', destination='b')", "x.y(n=(1, 2), flag=True)"], []]
    assert multi_turn(truth, docs) == [
        ExpectedAction(name="mv", arguments={"source": "a", "destination": "b"}),
        ExpectedAction(name="x.y", arguments={"n": [1, 2], "flag": True}),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("mv(source=open('f'))", "not a Python call with literal arguments"),
        ("not a call", "not a Python call with literal arguments"),
        ("rm('a')", "rm is called with positional arguments but has no function doc"),
        ("mv('a', 'b', 'c')", "mv takes 2 arguments"),
    ],
)
def test_bad_calls_are_located(call: str, message: str) -> None:
    docs = [ToolSpec(name="mv", parameters={"properties": {"source": {}, "destination": {}}})]
    with pytest.raises(ConversionError, match=message) as caught:
        multi_turn([["mv(source='a', destination='b')", call]], docs)
    assert caught.value.path == "ground_truth[0][1]"
