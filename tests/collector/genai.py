"""GenAI telemetry shaped like llmotel's SDK output (GenAI semconv v1.41), as raw OTLP.

Building the protobuf by hand gives the tests exact control over trace ids, timestamps and
attribute types, and sends without an SDK's batching delays.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

RESOURCE = {
    "service.name": "chat-api",
    "service.namespace": "llmotel-tests",
    "service.version": "1.2.3.4",
    "deployment.environment.name": "test",
}


def to_any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        out = AnyValue()
        out.array_value.values.extend(to_any(v) for v in value)
        return out
    return AnyValue(string_value=str(value))


def key_values(values: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=to_any(v)) for k, v in values.items()]


def messages(role: str, text: str) -> str:
    """A gen_ai.input/output.messages JSON string with one text part."""
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}], ensure_ascii=False)


def chat_span(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    provider: str = "openai",
    response_model: str | None = None,
    extra: dict[str, Any] | None = None,
    error: bool = False,
    duration_s: float = 0.8,
) -> Span:
    """One `chat {model}` client span with usage, as the SDK records it."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": response_model or model,
        "gen_ai.response.id": "chatcmpl-" + os.urandom(8).hex(),
        "gen_ai.response.finish_reasons": ["stop"],
        "server.address": "api.openai.com" if provider == "openai" else "api.anthropic.com",
        "server.port": 443,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
    }
    attributes.update(extra or {})
    end = time.time_ns()
    span = Span(
        trace_id=os.urandom(16),
        span_id=os.urandom(8),
        name=f"chat {model}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=end - int(duration_s * 1e9),
        end_time_unix_nano=end,
        attributes=key_values(attributes),
    )
    if error:
        span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="rate limited"))
        span.attributes.append(KeyValue(key="error.type", value=to_any("RateLimitError")))
    return span


def traces_request(spans: list[Span], resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(key_values(resource or RESOURCE))
    ss = rs.scope_spans.add()
    ss.scope.name = "llmotel"
    ss.spans.extend(spans)
    return request


def inference_event(body: str, attributes: dict[str, Any]) -> ExportLogsServiceRequest:
    """A gen_ai.client.inference.operation.details log event."""
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    rl.resource.attributes.extend(key_values(RESOURCE))
    record = rl.scope_logs.add().log_records.add()
    record.time_unix_nano = time.time_ns()
    record.event_name = "gen_ai.client.inference.operation.details"
    record.body.string_value = body
    record.attributes.extend(key_values(attributes))
    return request


def post(endpoint: str, signal: str, message: Any, token: str | None, context: ssl.SSLContext | None = None) -> int:
    """POST one OTLP/HTTP protobuf export; returns the HTTP status."""
    headers = {"Content-Type": "application/x-protobuf"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{endpoint}/v1/{signal}", data=message.SerializeToString(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
