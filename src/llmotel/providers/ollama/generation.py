"""chat (ChatResponse) and generate (GenerateResponse), whole or streamed as parts, the last with `done=True`.

Usage: `prompt_eval_count` (input) and `eval_count` (output, thinking included) of the last part. Ollama reports no
separate reasoning count, and no cache count: its prompt cache shows only as a smaller prompt_eval_count.
The finish reason is Ollama's `done_reason` as it comes (stop, length, load, unload); a tool call ends with stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Message, Request
from llmotel.core.content import text_part, tool_call_part
from llmotel.providers import stainless
from llmotel.providers.chat_messages import as_mapping, input_message

PROVIDER = "ollama"

OPTIONS: Parameters = {
    "num_predict": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
}


def endpoint(client: Any) -> tuple[str | None, int | None]:
    """ollama's Client keeps its httpx client in `_client`, as the Stainless SDKs' resources keep theirs."""
    return stainless.endpoint(client)


@dataclass(slots=True)
class _StreamContent:
    """A stream's content, accumulated only when content is captured."""

    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    tool_calls: list[Any] = field(default_factory=list)


class _Generation(Operation):
    """What chat and generate share; subclasses say where a part keeps its text, thinking and tool calls."""

    operation = ""

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        address, port = endpoint(instance)
        options = kwargs.get("options")
        attributes = copy_parameters(as_mapping(options), OPTIONS) if options else {}
        limit = attributes.get(semconv.GEN_AI_REQUEST_MAX_TOKENS)
        if isinstance(limit, int) and limit < 0:  # num_predict -1: no limit
            del attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS]
        output = kwargs.get("format")
        if output:
            attributes[semconv.GEN_AI_OUTPUT_TYPE] = "json"  # "json" or a JSON schema
        stream = kwargs.get("stream") is True
        if stream:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        return Request(self.operation, PROVIDER, str(kwargs.get("model")), address, port, attributes, stream)

    def response(self, call: Call, response: Any) -> None:
        _finish(call, response)
        if call.capture_content:
            text, thinking = self.text(response), self.thinking(response)
            call.output_messages = [_output(text, thinking, self.tool_calls(response), call)]

    def chunk(self, call: Call, part: Any) -> None:
        if call.capture_content:
            state: _StreamContent = call.stream_state if call.stream_state is not None else _StreamContent()
            call.stream_state = state
            text = self.text(part)
            if text:
                state.text.append(text)
            thinking = self.thinking(part)
            if thinking:
                state.thinking.append(thinking)
            state.tool_calls += self.tool_calls(part)
        if part.done:
            _finish(call, part)

    def stream_end(self, call: Call) -> None:
        state: _StreamContent | None = call.stream_state
        if call.capture_content and state is not None:
            text, thinking = "".join(state.text), "".join(state.thinking)
            call.output_messages = [_output(text, thinking, state.tool_calls, call)]

    def text(self, part: Any) -> str | None:
        raise NotImplementedError

    def thinking(self, part: Any) -> str | None:
        raise NotImplementedError

    def tool_calls(self, part: Any) -> list[Any]:
        return []


class Chat(_Generation):
    operation = "chat"
    positional = ("model", "messages")

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        messages = [input_message(message) for message in kwargs.get("messages") or ()]
        return InputContent(messages=messages, tool_definitions=[_tool(tool) for tool in kwargs.get("tools") or ()])

    def text(self, part: Any) -> str | None:
        return part.message.content  # type: ignore[no-any-return]

    def thinking(self, part: Any) -> str | None:
        return getattr(part.message, "thinking", None)

    def tool_calls(self, part: Any) -> list[Any]:
        return part.message.tool_calls or []


class Generate(_Generation):
    operation = "text_completion"
    positional = ("model", "prompt", "suffix")

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        content = InputContent(messages=[{"role": "user", "parts": [text_part(kwargs.get("prompt") or "")]}])
        system = kwargs.get("system")
        if system:
            content.system_instructions = [text_part(system)]
        return content

    def text(self, part: Any) -> str | None:
        return part.response  # type: ignore[no-any-return]

    def thinking(self, part: Any) -> str | None:
        return getattr(part, "thinking", None)


def _finish(call: Call, response: Any) -> None:
    call.response_model = response.model
    if response.done_reason:
        call.set_finish_reason(0, response.done_reason)
    if response.prompt_eval_count is not None:
        call.input_tokens = response.prompt_eval_count
    if response.eval_count is not None:
        call.output_tokens = response.eval_count


def _output(text: str | None, thinking: str | None, tool_calls: list[Any], call: Call) -> Message:
    parts: list[dict[str, Any]] = []
    if thinking:
        parts.append({"type": "reasoning", "content": thinking})
    if text:
        parts.append(text_part(text))
    # Ollama's tool calls carry no id
    parts += [
        tool_call_part(None, tool_call.function.name, dict(tool_call.function.arguments)) for tool_call in tool_calls
    ]
    reason = call.finish_reasons[0] if call.finish_reasons else "error"
    return {"role": "assistant", "parts": parts, "finish_reason": reason}


def _tool(tool: Any) -> dict[str, Any]:
    """A tool definition as given: a dict, the SDK's Tool, or a Python function (converted as the SDK does)."""
    if callable(tool) and not isinstance(tool, Mapping):
        from ollama._utils import convert_function_to_tool

        tool = convert_function_to_tool(tool)
    return dict(as_mapping(tool))
