"""OpenTelemetry GenAI spans: one production trajectory per trace, model outputs as actions,
tool spans as their results, in the SDK's JSON (real any-agent traces) and in OTLP/JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.otel import FORMAT, convert
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord
from trajforge.schema import Reply, ToolCall, ToolResult, Trajectory, UserMessage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "otel_genai"
TASK = (
    "Find what year it is in the America/New_York timezone and write the value (single number) "
    "to a file. Finally, return a list of the steps you have taken."
)


@pytest.fixture(scope="module")
def traces() -> dict[str, Trajectory]:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    found = {
        Path(t.provenance.record_location or "").name: t
        for t in FORMAT.read(str(FIXTURES), bad.append)
    }
    assert bad == []
    return found


def test_each_trace_is_a_production_trajectory(traces: dict[str, Trajectory]) -> None:
    assert len(traces) == 7
    for name, trajectory in traces.items():
        spans = json.loads((FIXTURES / name).read_text())["spans"]
        tool_spans = [
            s for s in spans if s["attributes"]["gen_ai.operation.name"] == "execute_tool"
        ]
        model_spans = [s for s in spans if s["attributes"]["gen_ai.operation.name"] == "call_llm"]
        assert trajectory.provenance.source == "production"
        assert trajectory.id == f"otel-{spans[0]['context']['trace_id']:032x}"
        inputs = json.loads(model_spans[0]["attributes"]["gen_ai.input.messages"])
        assert trajectory.task.instruction == inputs[-1]["content"]
        assert trajectory.task.instruction.endswith(TASK)
        assert trajectory.provenance.generator is not None
        assert trajectory.provenance.generator.model == "mistral/mistral-small-latest"
        assert trajectory.provenance.generator.policy == "any_agent"
        assert len(trajectory.steps) == len(model_spans)
        results = [o for s in trajectory.steps for o in s.observations]
        assert [r.name for r in results if isinstance(r, ToolResult)] == [
            s["attributes"]["gen_ai.tool.name"] for s in tool_spans
        ]
        assert trajectory.metrics.prompt_tokens == sum(
            s["attributes"]["gen_ai.usage.input_tokens"] for s in model_spans
        )
        assert "final_output" in trajectory.provenance.extra["$"]


def test_calls_and_results_pair_up_with_the_ids_the_tools_report(
    traces: dict[str, Trajectory],
) -> None:
    spans = json.loads((FIXTURES / "any_agent_AGNO_trace.json").read_text())["spans"]
    first = traces["any_agent_AGNO_trace.json"].steps[0]
    assert first.actions == [
        ToolCall(
            id="LlAGPjfO0",
            name="get_current_time",
            arguments={"timezone": "America/New_York"},
            raw_arguments='{"timezone": "America/New_York"}',
        )
    ]
    assert first.observations[0].call_id == "LlAGPjfO0"
    ran = spans[1]  # its execute_tool span
    assert first.observations[0].latency_ms == (ran["end_time"] - ran["start_time"]) / 1e6
    assert "attributes" not in traces["any_agent_AGNO_trace.json"].provenance.extra["spans[1]"]
    last = traces["any_agent_AGNO_trace.json"].steps[-1]
    assert isinstance(last.actions[0], Reply)
    smol = traces["any_agent_SMOLAGENTS_trace.json"]
    assert [(t.name, t.role) for t in smol.tools][-1] == ("final_answer", "finish")


def test_the_arguments_that_ran_win_and_the_model_output_is_kept(
    traces: dict[str, Trajectory],
) -> None:
    trajectory = traces["any_agent_LLAMA_INDEX_trace.json"]  # the model's output says "{}"
    call = trajectory.steps[0].actions[0]
    assert isinstance(call, ToolCall)
    assert call.arguments == {"timezone": "America/New_York"}
    kept = trajectory.provenance.extra["spans[0]"]["attributes"]
    assert kept["gen_ai.output"] == '[{"tool.name": "get_current_time", "tool.args": "{}"}]'
    same = traces["any_agent_OPENAI_trace.json"].provenance.extra["spans[0]"]["attributes"]
    assert "gen_ai.output" not in same  # the model's arguments were what ran


def _attributes(**values: Any) -> list[dict[str, Any]]:
    def any_value(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"boolValue": value}
        if isinstance(value, int):
            return {"intValue": str(value)}
        return {"stringValue": value if isinstance(value, str) else json.dumps(value)}

    return [{"key": key.replace("__", "."), "value": any_value(v)} for key, v in values.items()]


def _span(trace: str, span: str, start: int, **attributes: Any) -> dict[str, Any]:
    return {
        "traceId": trace,
        "spanId": span,
        "name": attributes.get("gen_ai__operation__name", "span"),
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 2_000_000),
        "attributes": _attributes(**attributes),
        "status": {},
    }


def _message(role: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": role, "parts": list(parts)}


def test_otlp_json_with_the_semantic_conventions_messages() -> None:
    """Hand-written after the OTLP/JSON encoding and the GenAI semantic conventions (no real
    OTLP export with gen_ai spans was found)."""
    a, b = "5b8efff798038103d269b633813fc60c", "0af7651916cd43dd8448eb211c80319c"
    text = {"type": "text", "content": "what is 2+2?"}
    call = {"type": "tool_call", "id": "c1", "name": "calc", "arguments": {"expr": "2+2"}}
    spans = [
        # out of order on purpose: the tool ran after the first model call
        _span(a, "02", 30, gen_ai__operation__name="execute_tool", gen_ai__tool__name="calc",
              gen_ai__tool__call__id="c1", gen_ai__tool__call__arguments={"expr": "2+2"},
              gen_ai__tool__call__result="4", error__type="none"),
        _span(a, "01", 10, gen_ai__operation__name="chat", gen_ai__request__model="m",
              gen_ai__system_instructions=[{"type": "text", "content": "be exact"}],
              gen_ai__input__messages=[_message("user", text)],
              gen_ai__output__messages=[_message("assistant", call)],
              gen_ai__usage__input_tokens=12),
        _span(a, "03", 50, gen_ai__operation__name="chat",
              gen_ai__input__messages=[
                  _message("user", text),
                  _message("assistant", call),
                  _message("tool", {"type": "tool_call_response", "id": "c1", "response": "4"}),
                  _message("user", {"type": "text", "content": "and 3+3?"}),
              ],
              gen_ai__output__messages=[_message(
                  "assistant",
                  {"type": "reasoning", "content": "easy"},
                  {"type": "text", "content": "6"},
              )]),
        _span(b, "04", 5, gen_ai__operation__name="chat",
              gen_ai__input__messages=[_message("user", text)], other="kept"),
    ]  # fmt: skip
    spans[0]["status"] = {"code": 2, "message": "boom"}
    record = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}
    first, second = convert(SourceRecord(record, "trace.json"))
    assert (first.id, second.id) == (f"otel-{a}", f"otel-{b}")
    assert (first.system_prompt, first.task.instruction) == ("be exact", "what is 2+2?")
    calling, answering = first.steps
    assert calling.actions == [ToolCall(id="c1", name="calc", arguments={"expr": "2+2"})]
    assert calling.observations == [
        ToolResult(
            call_id="c1",
            name="calc",
            content="4",
            status="error",
            error_kind="none",
            latency_ms=2.0,
        ),
        UserMessage(content="and 3+3?"),
    ]
    assert (answering.reasoning, answering.actions) == ("easy", [Reply(content="6")])
    assert calling.usage is not None
    assert calling.usage.prompt_tokens == 12
    where = "resourceSpans[0].scopeSpans[0].spans[3]"
    assert second.provenance.extra[where]["attributes"] == {"other": "kept"}
    assert second.provenance.extra[where]["kind"] == 1


def test_records_that_are_not_traces_are_refused() -> None:
    with pytest.raises(ConversionError, match="no spans") as caught:
        convert(SourceRecord({"name": "one span", "context": {}}, "x.json"))
    assert caught.value.hint is not None
    assert "grouped" in caught.value.hint
    span = {"context": {"trace_id": "zz", "span_id": 1}, "start_time": 0, "attributes": {}}
    with pytest.raises(ConversionError, match="hex id") as caught:
        convert(SourceRecord({"spans": [span]}, "x.json"))
    assert caught.value.path == "spans[0].context.trace_id"
