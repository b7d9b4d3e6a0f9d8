"""OpenTelemetry spans exported as JSON, in one shape whatever exported them.

Two exports are read:

- the SDK's own span JSON, a record ``{"spans": [...]}`` (any-agent's traces, or Python's
  ``span.to_json()`` collected in a list): ``context.trace_id``/``span_id`` as integers or
  ``0x`` hex, ``start_time``/``end_time`` as nanoseconds or ISO 8601 times, ``status.status_code``
  ``ok``/``error``/``unset`` (any case), ``attributes`` an object;
- OTLP/JSON, a record ``{"resourceSpans": [{"scopeSpans": [{"spans": [...]}]}]}`` (the collector's
  file exporter): ``traceId``/``spanId`` hex, ``startTimeUnixNano`` as (string) integers,
  ``status.code`` 2 for an error, ``attributes`` a list of ``{key, value: AnyValue}``.

Each span keeps its place in the record (``spans[3]``, ``resourceSpans[0].scopeSpans[0].spans[3]``)
and its keys other than ids, times and attributes, for ``provenance.extra``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, member

_SDK_MAPPED: Final = ("context", "start_time", "end_time", "attributes")
_OTLP_MAPPED: Final = ("traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano", "attributes")


@dataclass
class Span:
    """One span: ids, times in nanoseconds, whether it failed, attributes and its leftovers."""

    trace_id: str
    span_id: str
    start: int
    end: int | None
    error: bool
    status_message: str | None
    attributes: dict[str, Any]
    where: str
    rest: dict[str, Any]

    @property
    def latency_ms(self) -> float | None:
        """How long the span took, in milliseconds."""
        return None if self.end is None else max(0, self.end - self.start) / 1e6


def spans_of(record: dict[str, Any]) -> Iterator[Span]:
    """The spans of a record in either export (ConversionError when it holds none)."""
    if "resourceSpans" in record:
        yield from _otlp_spans(record)
    elif "spans" in record:
        for index, item in enumerate(member(record, "spans", list, "$")):
            yield _sdk_span(expect(item, dict, f"spans[{index}]"), f"spans[{index}]")
    else:
        raise ConversionError(
            "no spans: expected {'spans': [...]} or OTLP {'resourceSpans': [...]}",
            hint="export the trace's spans together; a record holding one span cannot be grouped",
        )


def _sdk_span(span: dict[str, Any], where: str) -> Span:
    context = member(span, "context", dict, where)
    status = span["status"] if isinstance(span.get("status"), dict) else {}
    rest = {key: value for key, value in span.items() if key not in _SDK_MAPPED}
    leftover = {k: v for k, v in context.items() if k not in ("trace_id", "span_id")}
    if leftover:
        rest["context"] = leftover
    return Span(
        trace_id=_hex_id(context.get("trace_id"), 32, f"{where}.context.trace_id"),
        span_id=_hex_id(context.get("span_id"), 16, f"{where}.context.span_id"),
        start=_nanoseconds(span.get("start_time"), f"{where}.start_time"),
        end=_optional_ns(span.get("end_time"), f"{where}.end_time"),
        error=str(status.get("status_code", "")).lower().endswith("error"),
        status_message=status.get("description"),
        attributes=dict(expect(span.get("attributes") or {}, dict, f"{where}.attributes")),
        where=where,
        rest=rest,
    )


def _otlp_spans(record: dict[str, Any]) -> Iterator[Span]:
    for r, resource in enumerate(member(record, "resourceSpans", list, "$")):
        at = f"resourceSpans[{r}]"
        scopes = member(expect(resource, dict, at), "scopeSpans", list, at)
        for s, scope in enumerate(scopes):
            where = f"{at}.scopeSpans[{s}]"
            for k, span in enumerate(member(expect(scope, dict, where), "spans", list, where)):
                yield _otlp_span(expect(span, dict, f"{where}.spans[{k}]"), f"{where}.spans[{k}]")


def _otlp_span(span: dict[str, Any], where: str) -> Span:
    status = span["status"] if isinstance(span.get("status"), dict) else {}
    attributes = {
        member(expect(kv, dict, f"{where}.attributes[{i}]"), "key", str, where): any_value(
            kv.get("value"), f"{where}.attributes[{i}].value"
        )
        for i, kv in enumerate(expect(span.get("attributes") or [], list, f"{where}.attributes"))
    }
    return Span(
        trace_id=_hex_id(span.get("traceId"), 32, f"{where}.traceId"),
        span_id=_hex_id(span.get("spanId"), 16, f"{where}.spanId"),
        start=_nanoseconds(span.get("startTimeUnixNano"), f"{where}.startTimeUnixNano"),
        end=_optional_ns(span.get("endTimeUnixNano"), f"{where}.endTimeUnixNano"),
        error=status.get("code") in (2, "STATUS_CODE_ERROR"),
        status_message=status.get("message"),
        attributes=attributes,
        where=where,
        rest={key: value for key, value in span.items() if key not in _OTLP_MAPPED},
    )


def any_value(value: Any, where: str) -> Any:
    """The plain JSON value of an OTLP ``AnyValue`` (``{"stringValue": "x"}`` -> ``"x"``)."""
    item = expect(value, dict, where)
    if "stringValue" in item or "boolValue" in item or "doubleValue" in item:
        return next(iter(item.values()))
    if "intValue" in item:
        return int(item["intValue"])
    if "arrayValue" in item:
        values = item["arrayValue"].get("values", [])
        return [any_value(v, f"{where}.arrayValue.values[{i}]") for i, v in enumerate(values)]
    if "kvlistValue" in item:
        return {
            kv["key"]: any_value(kv.get("value"), f"{where}.kvlistValue")
            for kv in item["kvlistValue"].get("values", [])
        }
    if "bytesValue" in item:
        return base64.b64decode(item["bytesValue"]).hex()
    return None  # an empty AnyValue


def _hex_id(value: Any, width: int, where: str) -> str:
    """A trace or span id as lower-case hex of ``width`` digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return f"{value:0{width}x}"
    if isinstance(value, str) and value:
        text = value.lower().removeprefix("0x")
        try:
            return f"{int(text, 16):0{width}x}"
        except ValueError:
            pass
    raise ConversionError(f"expected a {width}-digit hex id or an integer", path=where)


def _nanoseconds(value: Any, where: str) -> int:
    """A time as nanoseconds since the epoch: an integer (or its string) or ISO 8601."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
        except ValueError:
            pass
    raise ConversionError("expected nanoseconds or an ISO 8601 time", path=where)


def _optional_ns(value: Any, where: str) -> int | None:
    return None if value is None else _nanoseconds(value, where)
