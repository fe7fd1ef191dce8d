"""Chat completions in OpenAI's shape, for every SDK that speaks it: openai, groq (Stainless-generated like openai:
the same objects) and mistralai (close: its stream yields events holding the chunk, message content may be a list
of parts, tool arguments may arrive as an object).

A provider subclasses `CompatibleChat` with its `request()` (parameter table, provider value, endpoint) and, where
its SDK adds fields, overrides `record_usage` / `record_extras`. The per-chunk hook stays one method with no
provider checks: extras run on the first chunk only, usage on the chunk that carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Attributes, Call, InputContent, Message, Request
from llmotel.core.content import parse_arguments, text_part, to_json, tool_call_part
from llmotel.providers.chat_messages import as_mapping, input_message

PARAMETERS: Parameters = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}


def chat_attributes(kwargs: Mapping[str, Any], parameters: Parameters) -> Attributes:
    """Request attributes of a chat-completions call: the table's parameters, a lone stop string, the choice count."""
    attributes = copy_parameters(kwargs, parameters)
    stop = kwargs.get("stop")
    if isinstance(stop, str):
        attributes[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    choices = kwargs.get("n")
    if isinstance(choices, int) and choices != 1:
        attributes[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = choices
    return attributes


def output_type(response_format: Any) -> str | None:
    """gen_ai.output.type from a response_format: a dict, a pydantic class given to `parse`, or an SDK model."""
    if isinstance(response_format, dict):
        kind = response_format.get("type")
    elif isinstance(response_format, type):
        return "json"
    else:
        kind = getattr(response_format, "type", None)
    return "json" if kind in ("json_schema", "json_object") else "text" if kind == "text" else None


def compatible_request(
    provider: str,
    kwargs: Mapping[str, Any],
    attributes: Attributes,
    endpoint: tuple[str | None, int | None],
    raw_response: str | None = None,
    stream: bool | None = None,
    operation: str = "chat",
) -> Request:
    """The Request of a chat call once its attributes are set; `stream` None: `stream=True` among the arguments."""
    output = output_type(kwargs.get("response_format"))
    if output:
        attributes[semconv.GEN_AI_OUTPUT_TYPE] = output
    if stream is None:
        stream = kwargs.get("stream") is True
    if stream:
        attributes[semconv.GEN_AI_REQUEST_STREAM] = True
    return Request(operation, provider, str(kwargs.get("model")), *endpoint, attributes, stream, raw_response)


@dataclass(slots=True)
class _Choice:
    """One choice of a stream, accumulated only when content is captured."""

    text: list[str] = field(default_factory=list)
    tool_calls: dict[int, list[Any]] = field(default_factory=dict)  # index -> [id, name, argument fragments]
    finish_reason: str | None = None


class CompatibleChat(Operation):
    """A chat completion (`choices[].message`) and its stream of chunks (`choices[].delta`, usage on one chunk)."""

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        messages = [input_message(message) for message in kwargs.get("messages") or ()]
        tools = [dict(as_mapping(tool)) for tool in kwargs.get("tools") or ()]
        return InputContent(messages=messages, tool_definitions=tools)

    def is_stream(self, request: Request, result: Any) -> bool:
        return request.stream and type(result).__name__ in ("Stream", "AsyncStream")

    def response(self, call: Call, completion: Any) -> None:
        call.response_id = completion.id
        call.response_model = completion.model
        for choice in completion.choices:
            call.set_finish_reason(choice.index, choice.finish_reason or "error")
        self.record_usage(call, completion.usage)
        self.record_extras(call, completion)
        if call.capture_content:
            call.output_messages = [_output_message(choice) for choice in completion.choices]

    def chunk(self, call: Call, chunk: Any) -> None:
        if call.response_id is None:
            call.response_id = chunk.id
            call.response_model = chunk.model
            self.record_extras(call, chunk)
        for choice in chunk.choices:
            if choice.finish_reason:
                call.set_finish_reason(choice.index, choice.finish_reason)
            if call.capture_content:
                _accumulate(call, choice)
        if chunk.usage is not None:
            self.record_usage(call, chunk.usage)

    def stream_end(self, call: Call) -> None:
        state: dict[int, _Choice] | None = call.stream_state
        if not call.capture_content or not state:
            return
        messages: list[Message] = []
        for index in sorted(state):
            choice = state[index]
            parts: list[dict[str, Any]] = []
            if choice.text:
                parts.append(text_part("".join(choice.text)))
            for call_id, name, fragments in choice.tool_calls.values():
                parts.append(tool_call_part(call_id, name, "".join(fragments)))
            messages.append({"role": "assistant", "parts": parts, "finish_reason": choice.finish_reason or "error"})
        call.output_messages = messages

    def record_usage(self, call: Call, usage: Any) -> None:
        record_usage(call, usage)

    def record_extras(self, call: Call, response: Any) -> None:
        """Provider fields of a complete response or of a stream's first chunk."""


class CompatibleEmbeddings(Operation):
    """embeddings.create: vectors in `data[].embedding`, the input's token count in `usage.prompt_tokens`."""

    dimensions_keyword = "dimensions"  # the argument asking for a vector size

    def embeddings_request(
        self, provider: str, kwargs: Mapping[str, Any], endpoint: tuple[str | None, int | None], raw: str | None
    ) -> Request:
        attributes: Attributes = {}
        encoding = kwargs.get("encoding_format")
        if isinstance(encoding, str):
            attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        dimensions = kwargs.get(self.dimensions_keyword)
        if isinstance(dimensions, int):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return Request("embeddings", provider, str(kwargs.get("model")), *endpoint, attributes, False, raw)

    def response(self, call: Call, response: Any) -> None:
        call.response_model = response.model
        if response.usage is not None:
            call.input_tokens = response.usage.prompt_tokens
        if response.data and isinstance(response.data[0].embedding, list):
            call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(response.data[0].embedding)


def record_usage(call: Call, usage: Any) -> None:
    """OpenAI's usage object: the prompt count already includes cached tokens, the completion count reasoning."""
    if usage is None:
        return
    call.input_tokens = usage.prompt_tokens
    call.output_tokens = usage.completion_tokens
    prompt_details = usage.prompt_tokens_details
    if prompt_details is not None:
        if prompt_details.cached_tokens is not None:
            call.cache_read_tokens = prompt_details.cached_tokens
        if getattr(prompt_details, "cache_write_tokens", None) is not None:
            call.cache_write_tokens = prompt_details.cache_write_tokens
    completion_details = usage.completion_tokens_details
    if completion_details is not None and completion_details.reasoning_tokens is not None:
        call.reasoning_tokens = completion_details.reasoning_tokens


def _accumulate(call: Call, choice: Any) -> None:
    state: dict[int, _Choice] = call.stream_state if call.stream_state is not None else {}
    call.stream_state = state
    accumulated = state.get(choice.index)
    if accumulated is None:
        accumulated = state[choice.index] = _Choice()
    if choice.finish_reason:
        accumulated.finish_reason = choice.finish_reason
    delta = choice.delta
    if delta is None:
        return
    content = delta.content
    if content:
        accumulated.text.append(content if isinstance(content, str) else _text_of(content))
    for tool_call in delta.tool_calls or ():
        entry = accumulated.tool_calls.setdefault(tool_call.index, [None, None, []])
        if tool_call.id:
            entry[0] = tool_call.id
        function = tool_call.function
        if function is not None:
            if function.name:
                entry[1] = function.name
            arguments = function.arguments
            if arguments:  # a fragment of JSON text, or (mistralai) the whole arguments as an object
                entry[2].append(arguments if isinstance(arguments, str) else to_json(arguments))


def _text_of(parts: Any) -> str:
    """The text of a content given as a list of parts (dicts or SDK models)."""
    texts: list[str] = []
    for part in parts:
        if isinstance(part, Mapping):
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
        elif getattr(part, "type", None) == "text":
            texts.append(str(part.text))
    return "".join(texts)


def _output_message(choice: Any) -> Message:
    message = choice.message
    parts: list[dict[str, Any]] = []
    content = message.content
    if content:
        parts.append(text_part(content if isinstance(content, str) else _text_of(content)))
    for tool_call in message.tool_calls or ():
        function = getattr(tool_call, "function", None)
        if function is not None:
            parts.append(tool_call_part(tool_call.id, function.name, parse_arguments(function.arguments)))
    return {"role": message.role or "assistant", "parts": parts, "finish_reason": choice.finish_reason or "error"}
