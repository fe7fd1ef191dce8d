"""Converse and ConverseStream: Bedrock's model-neutral chat API (also the shape of Amazon Nova's InvokeModel body)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Message, Request
from llmotel.core.content import text_part, tool_call_part, tool_response_part
from llmotel.providers.bedrock import runtime

PARAMETERS: Parameters = {  # inferenceConfig
    "maxTokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "topP": semconv.GEN_AI_REQUEST_TOP_P,
    "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}


class Converse(Operation):
    positional = runtime.POSITIONAL

    def __init__(self, stream: bool = False) -> None:
        self.stream = stream

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        params = runtime.api_params(kwargs)
        address, port = runtime.endpoint(instance)
        attributes = copy_parameters(params.get("inferenceConfig") or {}, PARAMETERS)
        guardrail = (params.get("guardrailConfig") or {}).get("guardrailIdentifier")
        if isinstance(guardrail, str):
            attributes[semconv.AWS_BEDROCK_GUARDRAIL_ID] = guardrail
        if self.stream:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        # The model id as given: a model, an inference profile id or ARN (Bedrock does not say which model served).
        model = str(params.get("modelId"))
        return Request("chat", runtime.PROVIDER, model, address, port, attributes, self.stream)

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        params = runtime.api_params(kwargs)
        return InputContent(
            system_instructions=[part for block in params.get("system") or () if (part := content_part(block))],
            messages=[message_of(message) for message in params.get("messages") or ()],
            tool_definitions=[tool_definition(tool) for tool in (params.get("toolConfig") or {}).get("tools") or ()],
        )

    def response(self, call: Call, result: Any) -> None:
        call.response_id = runtime.request_id(result)
        reason = result.get("stopReason")
        if reason:
            call.set_finish_reason(0, reason)
        record_converse_usage(call, result.get("usage"))
        if call.capture_content:
            message = (result.get("output") or {}).get("message") or {}
            output = message_of(message)
            output["finish_reason"] = reason or "error"
            call.output_messages = [output]

    def wrap_stream(self, call: Call, result: Any, proxy: Callable[[Any], Any]) -> Any:
        call.response_id = runtime.request_id(result)
        result["stream"] = proxy(runtime.SteppableEventStream(result["stream"]))
        return result

    def chunk(self, call: Call, event: Any) -> None:
        converse_event(call, event)

    def stream_end(self, call: Call) -> None:
        runtime.end_stream_content(call)


def record_converse_usage(call: Call, usage: Any) -> None:
    if isinstance(usage, Mapping):
        runtime.record_usage(
            call,
            usage.get("inputTokens"),
            usage.get("outputTokens"),
            usage.get("cacheReadInputTokens", usage.get("cacheReadInputTokenCount")),  # Nova's body spells it so
            usage.get("cacheWriteInputTokens", usage.get("cacheWriteInputTokenCount")),
        )


def converse_event(call: Call, event: Mapping[str, Any]) -> None:
    """One ConverseStream event (also one Nova InvokeModel stream chunk): a dict with a single event-name key."""
    delta = event.get("contentBlockDelta")
    if delta is not None:
        if call.capture_content:
            index = delta.get("contentBlockIndex", 0)
            fragment = delta.get("delta") or {}
            if "text" in fragment:
                runtime.stream_state(call).add(index, "text", fragment["text"])
            elif "toolUse" in fragment:
                runtime.stream_state(call).add(index, "tool_call", fragment["toolUse"].get("input", ""))
            elif "reasoningContent" in fragment:
                runtime.stream_state(call).add(index, "reasoning", fragment["reasoningContent"].get("text", ""))
    elif "contentBlockStart" in event:
        if call.capture_content:
            start = event["contentBlockStart"]
            tool = (start.get("start") or {}).get("toolUse")
            if tool is not None:
                runtime.stream_state(call).start(
                    start.get("contentBlockIndex", 0), "tool_call", tool.get("toolUseId"), tool.get("name")
                )
    elif "messageStop" in event:
        reason = event["messageStop"].get("stopReason")
        if reason:
            call.set_finish_reason(0, reason)
    elif "metadata" in event:
        record_converse_usage(call, event["metadata"].get("usage"))


def message_of(message: Mapping[str, Any]) -> Message:
    parts = [part for block in message.get("content") or () if (part := content_part(block))]
    return {"role": message.get("role", "user"), "parts": parts}


def _blob(block: Mapping[str, Any], modality: str) -> dict[str, Any]:
    source = block.get("source") or {}
    data = source.get("bytes")
    if isinstance(data, (bytes, bytearray)):
        encoded = base64.b64encode(data).decode()
        return {
            "type": "blob",
            "modality": modality,
            "mime_type": f"{modality}/{block.get('format')}",
            "content": encoded,
        }
    location = (source.get("s3Location") or {}).get("uri")
    return {"type": "uri", "modality": modality, "uri": location or ""}


def content_part(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Converse content block as a semconv part; a cachePoint marker is no content (None)."""
    if "text" in block:
        return text_part(block["text"])
    if "toolUse" in block:
        tool = block["toolUse"]
        return tool_call_part(tool.get("toolUseId"), tool.get("name"), tool.get("input"))
    if "toolResult" in block:
        result = block["toolResult"]
        content = [part for item in result.get("content") or () if (part := _tool_result_part(item))]
        return tool_response_part(result.get("toolUseId"), content)
    if "image" in block:
        return _blob(block["image"], "image")
    if "video" in block:
        return _blob(block["video"], "video")
    if "reasoningContent" in block:
        return {"type": "reasoning", "content": (block["reasoningContent"].get("reasoningText") or {}).get("text", "")}
    if "cachePoint" in block:
        return None
    kind = next(iter(block), "unknown")  # document, guardContent, ...: named, not copied
    return {"type": kind}


def _tool_result_part(item: Mapping[str, Any]) -> Any:
    return item.get("text", item.get("json"))


def tool_definition(tool: Mapping[str, Any]) -> dict[str, Any]:
    spec = tool.get("toolSpec") or {}
    definition: dict[str, Any] = {"type": "function", "name": spec.get("name")}
    if spec.get("description"):
        definition["description"] = spec["description"]
    schema = (spec.get("inputSchema") or {}).get("json")
    if schema is not None:
        definition["parameters"] = schema
    return definition
