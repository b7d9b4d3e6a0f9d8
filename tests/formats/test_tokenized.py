"""The tokenized export: real chat templates, assistant-only loss masks that decode to exactly the
assistant turns, mistakes left untrained, long trajectories cut at step boundaries, Parquet."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.tokenizer_files import (
    CHATML_TURN,
    LAST_REASONING_TEMPLATE,
    TOOLS_TEMPLATE,
    Row,
    assert_labels,
    tokenizer_dir,
    trained_texts,
)
from tests.smollm2 import smollm2_gguf
from trajforge.errors import ConfigError, ConversionError, InputError
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.registry import get_writer
from trajforge.formats.tokenized import tokenized_options
from trajforge.formats.tokenizing.export import Tokenization
from trajforge.formats.tokenizing.parquet import labels_of
from trajforge.formats.tokenizing.sources import load_tokenizer
from trajforge.io import BadRecord
from trajforge.schema import (
    Label,
    LabelSource,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)


@pytest.fixture(scope="module")
def reasoning_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tokenizer directory whose template drops the reasoning of earlier turns."""
    return tokenizer_dir(tmp_path_factory.mktemp("reasoning-tokenizer"), LAST_REASONING_TEMPLATE)


@pytest.fixture(scope="module")
def tools_export(tools_tokenizer: Path) -> Tokenization:
    return Tokenization(tokenized_options({"tokenizer": str(tools_tokenizer)}))


def step(*actions: Any, results: Sequence[ToolResult] = (), **fields: Any) -> Step:
    return Step(actions=list(actions), observations=list(results), **fields)


def call(call_id: str, name: str, **arguments: Any) -> ToolCall:
    return ToolCall(id=call_id, name=name, arguments=arguments)


def result(call_id: str, content: str) -> ToolResult:
    return ToolResult(call_id=call_id, content=content)


MISTAKE = Label(name="invalid_call", source=LabelSource(kind="rule", id="invalid_call"), value=0.0)


def support_trajectory(trajectory_id: str = "t-1", *, mistake_at: int | None = None) -> Trajectory:
    """Three steps: a call, two parallel calls, a reply; ``mistake_at`` labels one step."""
    steps = [
        step(call("c0", "get_order", order_id="W1"), results=[result("c0", "shipped Monday")]),
        step(
            call("c1", "refund_order", order_id="W1", reason="late"),
            call("c2", "search", query="lamp ünïcode"),
            results=[result("c1", "refund issued"), result("c2", "no lamp")],
        ),
        step(Reply(content="Your refund is on its way.")),
    ]
    if mistake_at is not None:
        steps[mistake_at] = Step(
            actions=steps[mistake_at].actions,
            observations=steps[mistake_at].observations,
            labels=[MISTAKE],
        )
    return Trajectory(
        id=trajectory_id,
        system_prompt="You are a support agent.",
        task=Task(instruction="Where is my order W1?"),
        tools=[
            ToolSpec(name=name, description=f"{name} tool", parameters={"type": "object"})
            for name in ("get_order", "refund_order", "search")
        ],
        steps=steps,
    )


def rows(export: Tokenization, trajectories: Sequence[Trajectory]) -> list[Row]:
    """The samples as rows, their labels made as the Parquet writer makes them."""
    return [
        {
            "id": trajectory_id,
            "sample": number,
            "input_ids": list(sample.input_ids),
            "assistant_masks": list(sample.mask),
            "labels": labels_of(
                pa.array(sample.input_ids, pa.int32()), pa.array(list(sample.mask), pa.int8())
            ).to_pylist(),
        }
        for trajectory_id, number, sample in export.samples(trajectories)
    ]


# ---------------------------------------------------------------- the mask


def test_the_mask_covers_exactly_the_assistant_turns_of_a_hugging_face_template(
    tools_export: Tokenization,
) -> None:
    [row] = rows(tools_export, [support_trajectory()])
    decode = tools_export.tokenizer.decode
    text = decode(row["input_ids"])
    assert trained_texts(decode, row) == [
        '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "W1"}}\n</tool_call>'
        "<|im_end|>",
        '<tool_call>\n{"name": "refund_order", "arguments": {"order_id": "W1", "reason": '
        '"late"}}\n</tool_call>\n<tool_call>\n{"name": "search", "arguments": {"query": '
        '"lamp ünïcode"}}\n</tool_call><|im_end|>',
        "Your refund is on its way.<|im_end|>",
    ]
    assert text.startswith("<|im_start|>system\nYou are a support agent.\n\n# Tools\n<tools>\n")
    assert '{"type": "function", "function": {"name": "get_order"' in text
    assert "<tool_response>\nrefund issued\n</tool_response>\n<tool_response>\nno lamp" in text
    assert (row["id"], row["sample"]) == ("t-1", 0)
    assert_labels(row)


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="<>|\r", exclude_categories=["Cs"]),
    max_size=12,
)


@st.composite
def trajectories(draw: st.DrawFn) -> Trajectory:
    steps = []
    for k in range(draw(st.integers(1, 4))):
        calls = draw(st.integers(0, 2))
        if calls == 0:
            steps.append(step(Reply(content=draw(_TEXT))))
            continue
        ids = [f"c{k}-{i}" for i in range(calls)]
        steps.append(
            step(
                *(call(i, "search", q=draw(_TEXT)) for i in ids),
                results=[result(i, draw(_TEXT)) for i in ids],
            )
        )
    return Trajectory(
        id="prop",
        system_prompt=draw(st.none() | _TEXT),
        task=Task(instruction=draw(_TEXT)),
        tools=[ToolSpec(name="search")] if draw(st.booleans()) else [],
        steps=steps,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trajectory=trajectories())
def test_masked_tokens_decode_to_the_assistant_turns_and_nothing_else(
    tools_export: Tokenization, trajectory: Trajectory
) -> None:
    [row] = rows(tools_export, [trajectory])
    decode = tools_export.tokenizer.decode
    assert trained_texts(decode, row) == CHATML_TURN.findall(decode(row["input_ids"]))
    assert_labels(row)


def test_trajectories_with_the_same_tools_share_one_list_of_schemas(
    tools_export: Tokenization,
) -> None:
    first, second = support_trajectory("a"), support_trajectory("b")
    other = msgspec.structs.replace(first, tools=first.tools[:1])
    _, tools = tools_export.messages(first)
    assert tools_export.messages(second)[1] is tools  # so tojson writes their text once
    assert tools_export.messages(other)[1] == tools[:1]


def test_a_gguf_tokenizer_and_its_template_with_tool_calls_as_hermes_writes_them() -> None:
    gguf = smollm2_gguf()
    export = Tokenization(tokenized_options({"tokenizer": str(gguf)}))
    assert export.messages.tools_as_text  # SmolLM2's template has no place for tool calls
    [row] = rows(export, [support_trajectory()])
    decode = export.tokenizer.decode
    text = decode(row["input_ids"])
    turns = trained_texts(decode, row)
    assert turns == CHATML_TURN.findall(text)
    assert turns[0] == (
        '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "W1"}}\n</tool_call>'
        "<|im_end|>"
    )
    assert turns[2] == "Your refund is on its way.<|im_end|>"
    # the turns of the Hermes record: results in one tool turn, tools in the system prompt
    assert (
        '<|im_start|>tool\n<tool_response>\n{"content": "refund issued"}\n</tool_response>\n'
        in text
    )
    assert text.startswith('<|im_start|>system\nYou are a support agent.\n<tools>\n[{"type": ')
    assert_labels(row)
    # llama.cpp parsed the special tokens: one <|im_end|> per turn (system, user, three
    # assistant turns, two tool turns)
    assert row["input_ids"].count(export.tokenizer.encode_batch(["<|im_end|>"])[0][0]) == 7


def test_a_template_that_drops_earlier_reasoning_gives_one_sample_per_turn(
    reasoning_tokenizer: Path,
) -> None:
    export = Tokenization(tokenized_options({"tokenizer": str(reasoning_tokenizer)}))
    trajectory = Trajectory(
        id="think",
        task=Task(instruction="Find the lamp."),
        steps=[
            step(call("c0", "search", q="lamp"), results=[result("c0", "aisle 4")], reasoning="A"),
            step(Reply(content="Aisle 4."), reasoning="B"),
        ],
    )
    first, second = rows(export, [trajectory])
    decode = export.tokenizer.decode
    assert (first["sample"], second["sample"]) == (0, 1)
    assert trained_texts(decode, first) == [
        '<think>A</think>\n<tool_call>search {"q": "lamp"}</tool_call><|im_end|>'
    ]
    # the first turn is context here, as the template renders it then: without its reasoning
    assert decode(second["input_ids"]) == (
        "<|im_start|>user\nFind the lamp.<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>search {"q": "lamp"}</tool_call><|im_end|>\n'
        "<|im_start|>tool\naisle 4<|im_end|>\n"
        "<|im_start|>assistant\n<think>B</think>\nAisle 4.<|im_end|>\n"
    )
    assert trained_texts(decode, second) == ["<think>B</think>\nAisle 4.<|im_end|>"]


def test_mistaken_steps_stay_in_the_text_untrained_unless_told_otherwise(
    tools_tokenizer: Path,
) -> None:
    masked = Tokenization(tokenized_options({"tokenizer": str(tools_tokenizer)}))
    kept = Tokenization(
        tokenized_options({"tokenizer": str(tools_tokenizer), "mask_mistakes": "false"})
    )
    trajectory = support_trajectory(mistake_at=0)
    [with_mask] = rows(masked, [trajectory])
    [without] = rows(kept, [trajectory])
    decode = masked.tokenizer.decode
    assert with_mask["input_ids"] == without["input_ids"]
    assert len(trained_texts(decode, without)) == 3
    assert trained_texts(decode, with_mask) == trained_texts(decode, without)[1:]
    lenient = Tokenization(  # the export options say which labels mark a mistake
        tokenized_options({"tokenizer": str(tools_tokenizer)}),
        {"export": ExportOptions(mistake_classes=(), mistake_below=0.0)},
    )
    assert rows(lenient, [trajectory]) == [without]
    only_mistakes = Trajectory(
        id="bad",
        task=Task(instruction="x"),
        steps=[Step(actions=[Reply(content="wrong")], labels=[MISTAKE])],
    )
    assert rows(masked, [only_mistakes]) == []  # nothing to train


# ---------------------------------------------------------------- long trajectories


def long_trajectory(steps: int) -> Trajectory:
    body = [
        step(call(f"c{k}", "get_order", order_id=f"W{k}"), results=[result(f"c{k}", f"r{k}")])
        for k in range(steps - 1)
    ]
    return Trajectory(
        id="long",
        system_prompt="Be brief.",
        task=Task(instruction="Check the orders."),
        steps=[*body, step(Reply(content="All checked."))],
    )


def export_with(tokenizer: Path, **options: Any) -> Tokenization:
    return Tokenization(tokenized_options({"tokenizer": str(tokenizer), **options}))


def test_overflow_drop_and_truncate_at_the_end_of_a_turn(tools_tokenizer: Path) -> None:
    trajectory = long_trajectory(6)
    [whole] = rows(export_with(tools_tokenizer), [trajectory])
    length = len(whole["input_ids"])
    assert rows(export_with(tools_tokenizer, max_length=length - 1), [trajectory]) == []
    assert len(rows(export_with(tools_tokenizer, max_length=length), [trajectory])) == 1
    starts = step_starts(whole_export_decode(tools_tokenizer), whole)
    limit = (starts[3] + starts[4]) // 2  # room for three steps and a half
    [cut] = rows(export_with(tools_tokenizer, max_length=limit, overflow="truncate"), [trajectory])
    assert cut == {
        key: value[: starts[3]] if isinstance(value, list) else value
        for key, value in whole.items()
    }  # three whole steps: each call with its result
    too_small = export_with(tools_tokenizer, max_length=starts[1] - 1, overflow="truncate")
    assert rows(too_small, [trajectory]) == []


def whole_export_decode(tokenizer: Path) -> Callable[[list[int]], str]:
    return load_tokenizer(str(tokenizer)).decode


def step_starts(decode: Callable[[list[int]], str], row: Row) -> list[int]:
    """The token index where each step's assistant header begins (a ChatML text)."""
    ids = row["input_ids"]
    return [
        i
        for i in range(len(ids))
        if decode(ids[i:]).startswith("<|im_start|>assistant") and decode(ids[:i]).endswith("\n")
    ]


def test_overflow_split_trains_every_turn_once_in_windows_of_whole_steps(
    tools_tokenizer: Path,
) -> None:
    trajectory = long_trajectory(7)
    whole_export = export_with(tools_tokenizer)
    [whole] = rows(whole_export, [trajectory])
    decode = whole_export.tokenizer.decode
    preamble = decode(whole["input_ids"]).split("<|im_start|>assistant")[0]
    limit = len(whole["input_ids"]) // 3
    windows = rows(export_with(tools_tokenizer, max_length=limit, overflow="split"), [trajectory])
    assert len(windows) > 2
    assert [w["sample"] for w in windows] == list(range(len(windows)))
    trained = [text for w in windows for text in trained_texts(decode, w)]
    assert trained == trained_texts(decode, whole)  # each turn once, in order
    full = decode(whole["input_ids"])
    boundaries = {m.start() for m in re.finditer(r"<\|im_start\|>assistant", full)} | {len(full)}
    for window in windows:
        text = decode(window["input_ids"])
        assert len(window["input_ids"]) <= limit
        assert text.startswith(preamble)
        body = text[len(preamble) :]
        begin = full.index(body, len(preamble))
        assert {begin, begin + len(body)} <= boundaries  # whole steps, calls with results
        assert_labels(window)


def test_a_step_too_long_for_any_window_is_left_out(tools_tokenizer: Path) -> None:
    trajectory = long_trajectory(4)
    long_step = step(call("cx", "get_order", order_id="W" * 200), results=[result("cx", "huge")])
    trajectory = Trajectory(
        id="long",
        task=trajectory.task,
        system_prompt=trajectory.system_prompt,
        steps=[trajectory.steps[0], long_step, *trajectory.steps[1:]],
    )
    export = export_with(tools_tokenizer)
    [whole] = rows(export, [trajectory])
    starts = step_starts(export.tokenizer.decode, whole)
    limit = starts[1] + 5  # the preamble and any short step fit, the long one does not
    windows = rows(export_with(tools_tokenizer, max_length=limit, overflow="split"), [trajectory])
    trained = [t for w in windows for t in trained_texts(export.tokenizer.decode, w)]
    all_turns = trained_texts(export.tokenizer.decode, whole)
    assert trained == [all_turns[0], *all_turns[2:]]


# ---------------------------------------------------------------- the file and the options


def test_the_writer_writes_parquet_that_datasets_loads(
    tmp_path: Path, tools_tokenizer: Path
) -> None:
    write = get_writer("tokenized")
    dest = tmp_path / "train.parquet"
    trajectories = [support_trajectory(f"t-{i}") for i in range(3)]
    result = write(str(dest), iter(trajectories), tokenizer=str(tools_tokenizer), shard_size=9)
    assert (result.count, result.paths) == (3, (dest,))
    table = pq.read_table(dest)
    assert table.column_names == [
        "trajectory_id",
        "sample",
        "input_ids",
        "assistant_masks",
        "labels",
    ]
    assert table.column("trajectory_id").to_pylist() == ["t-0", "t-1", "t-2"]
    assert b"trajforge.tokenized" in table.schema.metadata
    again = tmp_path / "again.parquet"
    write(str(again), iter(trajectories), tokenizer=str(tools_tokenizer))
    assert again.read_bytes() == dest.read_bytes()  # deterministic


def test_datasets_loads_the_file(tmp_path: Path, tools_tokenizer: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (the dev extra)")
    dest = tmp_path / "train.parquet"
    get_writer("tokenized")(str(dest), [support_trajectory()], tokenizer=str(tools_tokenizer))
    loaded = datasets.load_dataset("parquet", data_files=str(dest), split="train")
    assert loaded.column_names == pq.read_schema(dest).names
    assert loaded[0]["input_ids"] == pq.read_table(dest).column("input_ids")[0].as_py()


@pytest.mark.parametrize(
    ("options", "message", "path"),
    [
        ({}, "missing required field 'tokenizer'", None),
        ({"tokenizer": "x", "overflow": "wrap"}, "invalid enum value 'wrap'", "overflow"),
        ({"tokenizer": "x", "max_length": "0"}, "expected integer >= 1", "max_length"),
        ({"tokenizer": "x", "maxlen": "9"}, "unknown field 'maxlen'", None),
    ],
)
def test_bad_options_are_named(options: dict[str, str], message: str, path: str | None) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        tokenized_options(options)
    assert caught.value.path == path
    assert caught.value.hint == (
        "the tokenized writer's options: tokenizer, chat_template, max_length, overflow "
        "(drop, truncate or split), mask_mistakes"
    )


def test_tokenizer_and_template_problems_are_clear_errors(
    tmp_path: Path, tools_tokenizer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="no such file or directory") as caught:
        load_tokenizer(str(tmp_path / "nothing"))
    assert caught.value.path == "tokenizer"
    with pytest.raises(ConfigError, match=r"no tokenizer\.json"):
        load_tokenizer(str(tmp_path))
    lossy = tokenizer_dir(tmp_path / "lower", TOOLS_TEMPLATE, lowercase=True)
    with pytest.raises(ConfigError, match="does not give 'Hello' back unchanged"):
        load_tokenizer(str(lossy))
    broken = tmp_path / "broken.jinja"
    broken.write_text("line one\n{% for m in messages %}\n{{ m.content }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not compile") as compiled:
        export_with(tools_tokenizer, chat_template=str(broken))
    assert (compiled.value.file, compiled.value.line) == (str(broken), 3)
    no_template = tokenizer_dir(tmp_path / "bare", TOOLS_TEMPLATE)
    (no_template / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no chat template"):
        export_with(no_template)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if it were not installed
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(ConfigError, match="needs llama-cpp-python") as missing:
        load_tokenizer(str(gguf))
    assert missing.value.hint == "pip install 'trajforge[llm-test]'"


def test_a_trajectory_the_template_cannot_render_is_named_and_set_aside(
    tmp_path: Path, tools_tokenizer: Path
) -> None:
    strict = tmp_path / "strict.jinja"
    strict.write_text(
        "{% for m in messages %}{% if m.role == 'tool' %}"
        "{{ raise_exception('no tool role here') }}{% endif %}"
        "{{ m.role }}: {{ m.content }}\n{% endfor %}",
        encoding="utf-8",
    )
    chosen = tokenized_options({"tokenizer": str(tools_tokenizer), "chat_template": str(strict)})
    fine = Trajectory(id="fine", task=Task(instruction="hi"), steps=[step(Reply(content="Hello."))])
    with pytest.raises(ConversionError) as caught:
        rows(Tokenization(chosen), [support_trajectory(), fine])
    assert str(caught.value) == (
        f"trajectory t-1: the chat template of {strict} failed: TemplateError: no tool role here"
    )
    bad: list[BadRecord] = []
    kept = rows(Tokenization(chosen, {"on_error": bad.append}), [support_trajectory(), fine])
    assert [row["id"] for row in kept] == ["fine"]
    assert [(b.file, b.error) for b in bad] == [("trajectory t-1", caught.value.message)]


def test_an_export_without_any_sample_fails_and_says_why(
    tmp_path: Path, tools_tokenizer: Path
) -> None:
    trajectories = [support_trajectory(), support_trajectory("t-2", mistake_at=2)]
    no_reply = Trajectory(id="t-3", task=Task(instruction="hello"))
    dest = tmp_path / "out.parquet"
    write = get_writer("tokenized")
    with pytest.raises(InputError) as caught:
        write(str(dest), [*trajectories, no_reply], tokenizer=str(tools_tokenizer), max_length="5")
    assert caught.value.message == (
        "no sample (skipped: no steps: 1, texts left out: longer than max_length "
        "(overflow=drop): 2)"
    )
    assert list(tmp_path.iterdir()) == []
    assert write(str(dest), [], tokenizer=str(tools_tokenizer)).count == 0  # nothing read


def test_a_non_parquet_destination_is_refused(tmp_path: Path, tools_tokenizer: Path) -> None:
    with pytest.raises(ConfigError, match="one Parquet file"):
        get_writer("tokenized")(str(tmp_path / "out.jsonl"), [], tokenizer=str(tools_tokenizer))
