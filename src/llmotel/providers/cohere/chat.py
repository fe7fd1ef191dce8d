"""chat / chat_stream: V2ChatResponse, and the stream of typed v2 events (message-start ... message-end)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Request
from llmotel.core.content import text_part, tool_call_part
from llmotel.providers.chat_messages import as_mapping, input_message
from llmotel.providers.cohere.usage import OMIT, PROVIDER, endpoint, record_usage

PARAMETERS: Parameters = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "p": semconv.GEN_AI_REQUEST_TOP_P,
    "k": semconv.GEN_AI_REQUEST_TOP_K,
    "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
}

# Cohere's upper-case finish reasons in the lower-case vocabulary of semconv's output messages. A stop sequence is
# a normal stop there; TIMEOUT is a failed generation. Anything new is passed on lower-cased.
FINISH_REASONS = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_call",
    "ERROR": "error",
    "TIMEOUT": "error",
}


def finish_reason(reason: Any) -> str:
    return FINISH_REASONS.get(reason) or str(reason).lower()


@dataclass(slots=True)
class _StreamContent:
    """A stream's content, accumulated only when content is captured."""

    contents: dict[int, list[Any]] = field(default_factory=dict)  # index -> [type (text/thinking), fragments]
    plan: list[str] = field(default_factory=list)
    tool_calls: dict[int, list[Any]] = field(default_factory=dict)  # index -> [id, name, argument fragments]


class Chat(Operation):
    def __init__(self, stream: bool = False) -> None:
        self.stream = stream  # chat_stream: always a stream

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        address, port = endpoint(instance)
        attributes = copy_parameters(kwargs, PARAMETERS)
        response_format = kwargs.get("response_format")
        if response_format is not None and response_format is not OMIT:
            kind = as_mapping(response_format).get("type")
            attributes[semconv.GEN_AI_OUTPUT_TYPE] = "json" if kind == "json_object" else "text"
        if self.stream:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        return Request("chat", PROVIDER, str(kwargs.get("model")), address, port, attributes, self.stream)

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        messages = [input_message(message) for message in kwargs.get("messages") or ()]
        tools = kwargs.get("tools")
        definitions = [dict(as_mapping(tool)) for tool in tools] if tools and tools is not OMIT else []
        return InputContent(messages=messages, tool_definitions=definitions)

    def response(self, call: Call, http_response: Any) -> None:
        reply = http_response.data  # the raw client's HttpResponse, parsed already
        call.response_id = reply.id
        reason = finish_reason(reply.finish_reason)
        call.set_finish_reason(0, reason)
        record_usage(call, reply.usage)
        if call.capture_content:
            message = reply.message
            parts: list[dict[str, Any]] = []
            for item in message.content or ():
                if item.type == "thinking":
                    parts.append({"type": "reasoning", "content": item.thinking})
                else:
                    parts.append(text_part(item.text))
            if message.tool_plan:
                parts.append({"type": "reasoning", "content": message.tool_plan})
            for tool_call in message.tool_calls or ():
                function = tool_call.function
                parts.append(tool_call_part(tool_call.id, function and function.name, function and function.arguments))
            call.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]

    def chunk(self, call: Call, event: Any) -> None:
        kind = event.type
        if kind == "content-delta" or kind == "tool-call-delta" or kind == "tool-plan-delta":
            if call.capture_content:
                _accumulate(call.stream_state, kind, event)
        elif kind == "message-start":
            call.response_id = event.id
            if call.capture_content:
                call.stream_state = _StreamContent()
        elif kind == "content-start" or kind == "tool-call-start":
            if call.capture_content:
                _accumulate(call.stream_state, kind, event)
        elif kind == "message-end":
            delta = event.delta
            if delta is not None:
                if delta.finish_reason:
                    call.set_finish_reason(0, finish_reason(delta.finish_reason))
                record_usage(call, delta.usage)

    def stream_end(self, call: Call) -> None:
        state: _StreamContent | None = call.stream_state
        if not call.capture_content or state is None:
            return
        parts: list[dict[str, Any]] = []
        for index in sorted(state.contents):
            kind, fragments = state.contents[index]
            text = "".join(fragments)
            parts.append({"type": "reasoning", "content": text} if kind == "thinking" else text_part(text))
        if state.plan:
            parts.append({"type": "reasoning", "content": "".join(state.plan)})
        for index in sorted(state.tool_calls):
            call_id, name, fragments = state.tool_calls[index]
            parts.append(tool_call_part(call_id, name, "".join(fragments) or "{}"))
        reason = call.finish_reasons[0] if call.finish_reasons else "error"
        call.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]


def _accumulate(state: _StreamContent | None, kind: str, event: Any) -> None:
    if state is None:  # no message-start seen
        return
    message = event.delta.message
    if kind == "content-delta":
        content = message.content
        entry = state.contents.setdefault(event.index, ["text", []])
        entry[1].append(content.text or content.thinking or "")
    elif kind == "tool-call-delta":
        function = message.tool_calls.function
        if function is not None and function.arguments:
            state.tool_calls.setdefault(event.index, [None, None, []])[2].append(function.arguments)
    elif kind == "tool-plan-delta":
        state.plan.append(message.tool_plan or "")
    elif kind == "content-start":
        content = message.content
        state.contents[event.index] = [content.type or "text", [content.text or content.thinking or ""]]
    else:  # tool-call-start
        tool_call = message.tool_calls
        function = tool_call.function
        name = function.name if function is not None else None
        arguments = [function.arguments] if function is not None and function.arguments else []
        state.tool_calls[event.index] = [tool_call.id, name, arguments]
