"""models.generate_content / generate_content_stream / embed_content: GenerateContentResponse and its chunks.

Arguments arrive as SDK objects or as plain dicts (`config={"temperature": 0.2}`); `_field` reads both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from llmotel import semconv
from llmotel.core.adapter import Operation
from llmotel.core.call import Attributes, Call, InputContent, Message, Request
from llmotel.core.content import text_part, tool_call_part, tool_response_part
from llmotel.providers.google_genai import tools

# GenerateContentConfig field -> semconv attribute
PARAMETERS = {
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "max_output_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "seed": semconv.GEN_AI_REQUEST_SEED,
    "candidate_count": semconv.GEN_AI_REQUEST_CHOICE_COUNT,
    "presence_penalty": semconv.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "frequency_penalty": semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY,
}
_OUTPUT_TYPES = {"application/json": "json", "text/plain": "text", "text/x.enum": "text"}
_ROLES = {"model": "assistant"}


def _field(value: Any, name: str) -> Any:
    """A field of an SDK object or of the dict a caller passed in its place (snake_case keys)."""
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


@functools.lru_cache(maxsize=32)  # a process talks to a handful of base URLs
def _endpoint(base_url: str) -> tuple[str | None, int | None]:
    url = urlsplit(base_url)
    return url.hostname, url.port or (443 if url.scheme == "https" else 80)


def _base_request(operation: str, instance: Any, kwargs: Mapping[str, Any]) -> Request:
    client = instance._api_client
    provider = "gcp.vertex_ai" if client.vertexai else "gcp.gemini"
    base_url = _field(client._http_options, "base_url")
    address, port = _endpoint(base_url) if isinstance(base_url, str) else (None, None)
    return Request(operation, provider, str(kwargs.get("model")), address, port)


class GenerateContent(Operation):
    """One logical call: with automatic function calling (AFC) that is the SDK's whole loop of model requests and
    local function runs, as the caller sees one call and one final response."""

    def __init__(self, stream: bool = False) -> None:
        self.stream = stream

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        request = _base_request("generate_content", instance, kwargs)
        config = kwargs.get("config")
        if config is not None:
            request.attributes = _parameters(config)
        if self.stream:
            request.stream = True
            request.attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        return request

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        content = InputContent(messages=_input_messages(kwargs.get("contents")))
        config = kwargs.get("config")
        system = _field(config, "system_instruction")
        if system is not None:
            content.system_instructions = [part for message in _input_messages(system) for part in message["parts"]]
        content.tool_definitions = [
            definition for tool in _field(config, "tools") or () for definition in _tool_definitions(tool)
        ]
        return content

    def is_stream(self, request: Request, result: Any) -> bool:
        return self.stream

    def response(self, call: Call, response: Any) -> None:
        call.response_id = response.response_id
        call.response_model = response.model_version
        candidates = response.candidates or ()
        for position, candidate in enumerate(candidates):
            if candidate.finish_reason is not None:
                call.set_finish_reason(_index(candidate, position), _reason(candidate.finish_reason))
        earlier = _NOTHING_EARLIER
        for usage in tools.earlier_usage(call.span):  # AFC's model requests before the final one
            earlier = _Usage.adding(earlier, usage)
        if response.usage_metadata is not None:
            _record_usage(call, response.usage_metadata, earlier)
        if call.capture_content:
            call.output_messages = [
                _output_message(
                    [_part(part) for part in (candidate.content and candidate.content.parts) or ()],
                    _reason(candidate.finish_reason),
                )
                for candidate in candidates
            ]

    def chunk(self, call: Call, chunk: Any) -> None:
        state: _StreamState | None = call.stream_state
        if state is None:
            state = call.stream_state = _StreamState()
        if chunk.response_id:
            call.response_id = chunk.response_id
        if chunk.model_version:
            call.response_model = chunk.model_version
        finished = False
        for position, candidate in enumerate(chunk.candidates or ()):
            index = _index(candidate, position)
            if candidate.finish_reason is not None:
                call.set_finish_reason(index, _reason(candidate.finish_reason))
                finished = True
            if call.capture_content and candidate.content and candidate.content.parts:
                state.parts.setdefault(index, []).extend(_part(part) for part in candidate.content.parts)
        usage = chunk.usage_metadata
        if usage is not None:
            _record_usage(call, usage, state.earlier_requests)
            if finished:  # under AFC another model request may follow: its usage adds to this one's
                state.earlier_requests = _Usage.of(call)

    def stream_end(self, call: Call) -> None:
        state: _StreamState | None = call.stream_state
        if not call.capture_content or state is None:
            return
        reasons = call.finish_reasons or []
        call.output_messages = [
            _output_message(_merge_text(state.parts[index]), reasons[index] if index < len(reasons) else "error")
            for index in sorted(state.parts)
        ]


class EmbedContent(Operation):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        request = _base_request("embeddings", instance, kwargs)
        dimensions = _field(kwargs.get("config"), "output_dimensionality")
        if isinstance(dimensions, int):
            request.attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return request

    def response(self, call: Call, response: Any) -> None:
        usage = response.usage_metadata
        if usage is not None and usage.prompt_token_count is not None:
            call.input_tokens = usage.prompt_token_count
            return
        # Vertex's text-embedding models count tokens per input; the Gemini API reports no usage for embeddings.
        counts = [
            embedding.statistics.token_count
            for embedding in response.embeddings or ()
            if embedding.statistics is not None and embedding.statistics.token_count is not None
        ]
        if counts:
            call.input_tokens = int(sum(counts))


@dataclass(slots=True)
class _Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    reasoning: int = 0

    @staticmethod
    def adding(earlier: _Usage, usage: Any) -> _Usage:
        """`earlier` plus one response's usage metadata, in semconv's meaning: promptTokenCount already includes
        cachedContentTokenCount, and tool-use prompt tokens are billed as input too; candidatesTokenCount excludes
        thoughts, which semconv's output includes."""
        thoughts = usage.thoughts_token_count or 0
        return _Usage(
            earlier.input_tokens + (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0),
            earlier.output_tokens + (usage.candidates_token_count or 0) + thoughts,
            earlier.cache_read + (usage.cached_content_token_count or 0),
            earlier.reasoning + thoughts,
        )

    @staticmethod
    def of(call: Call) -> _Usage:
        return _Usage(
            call.input_tokens or 0, call.output_tokens or 0, call.cache_read_tokens or 0, call.reasoning_tokens or 0
        )


_NOTHING_EARLIER = _Usage()  # read only


@dataclass(slots=True)
class _StreamState:
    earlier_requests: _Usage = field(default_factory=_Usage)  # usage of the AFC loop's finished model requests
    parts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # candidate index -> parts, when capturing


def _record_usage(call: Call, usage: Any, earlier: _Usage) -> None:
    total = _Usage.adding(earlier, usage)
    call.input_tokens = total.input_tokens
    call.output_tokens = total.output_tokens
    if total.cache_read or usage.cached_content_token_count is not None:
        call.cache_read_tokens = total.cache_read
    if total.reasoning or usage.thoughts_token_count is not None:
        call.reasoning_tokens = total.reasoning


def _parameters(config: Any) -> Attributes:
    attributes: Attributes = {}
    for name, attribute in PARAMETERS.items():  # a config object has every field, most of them None
        value = _field(config, name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[attribute] = value
        elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            attributes[attribute] = value
    output_type = _OUTPUT_TYPES.get(_field(config, "response_mime_type"))
    if output_type is not None:
        attributes[semconv.GEN_AI_OUTPUT_TYPE] = output_type
    return attributes


def _index(candidate: Any, position: int) -> int:
    index = candidate.index
    return index if isinstance(index, int) else position


def _reason(reason: Any) -> str:
    """FinishReason.STOP -> "stop"; the SDK keeps reasons it does not know as plain strings."""
    if reason is None:
        return "error"
    return str(getattr(reason, "name", reason)).lower()


def _output_message(parts: list[dict[str, Any]], finish_reason: str) -> Message:
    return {"role": "assistant", "parts": parts, "finish_reason": finish_reason}


def _merge_text(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream pieces of the same kind of text joined into one part."""
    merged: list[dict[str, Any]] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if previous is not None and previous["type"] == part["type"] and part["type"] in ("text", "reasoning"):
            merged[-1] = {**previous, "content": previous["content"] + part["content"]}
        else:
            merged.append(part)
    return merged


def _part(part: Any) -> dict[str, Any]:
    """One Part (or part dict, or string) in semconv's form."""
    if isinstance(part, str):
        return text_part(part)
    text = _field(part, "text")
    if text is not None:
        return {"type": "reasoning", "content": text} if _field(part, "thought") else text_part(text)
    call = _field(part, "function_call")
    if call is not None:
        return tool_call_part(_field(call, "id"), _field(call, "name"), _field(call, "args"))
    response = _field(part, "function_response")
    if response is not None:
        return tool_response_part(_field(response, "id"), _field(response, "response"))
    blob = _field(part, "inline_data")
    if blob is not None:
        return {"type": "blob", "mime_type": _field(blob, "mime_type"), "content": _field(blob, "data")}
    file = _field(part, "file_data")
    if file is not None:
        return {"type": "uri", "mime_type": _field(file, "mime_type"), "uri": _field(file, "file_uri")}
    return {"type": "unknown"}


def _is_content(value: Any) -> bool:
    return _field(value, "parts") is not None or _field(value, "role") is not None


def _input_messages(contents: Any) -> list[Message]:
    """The SDK's `contents` forms: a string, a Part, a Content, or a list of them (loose parts form a user turn)."""
    if contents is None:
        return []
    items = contents if isinstance(contents, list) else [contents]
    messages: list[Message] = []
    loose: list[dict[str, Any]] = []
    for item in items:
        if _is_content(item):
            if loose:
                messages.append({"role": "user", "parts": loose})
                loose = []
            parts = [_part(part) for part in _field(item, "parts") or ()]
            role = _ROLES.get(_field(item, "role"), _field(item, "role") or "user")
            if parts and all(part["type"] == "tool_call_response" for part in parts):
                role = "tool"
            messages.append({"role": role, "parts": parts})
        else:
            loose.append(_part(item))
    if loose:
        messages.append({"role": "user", "parts": loose})
    return messages


def _tool_definitions(tool: Any) -> list[dict[str, Any]]:
    if callable(tool):  # a Python function the SDK declares (and, under AFC, calls) itself
        return [{"type": "function", "name": tool.__name__, "description": (tool.__doc__ or "").strip()}]
    declarations = _field(tool, "function_declarations")
    if declarations:
        return [
            {
                "type": "function",
                "name": _field(declaration, "name"),
                "description": _field(declaration, "description"),
                "parameters": _field(declaration, "parameters_json_schema")
                or _schema(_field(declaration, "parameters")),
            }
            for declaration in declarations
        ]
    # server-side tools (google_search, code_execution, ...): their kind is what is known
    if isinstance(tool, Mapping):
        return [{"type": name} for name in tool]
    if hasattr(tool, "model_dump"):
        return [{"type": name} for name in tool.model_dump(exclude_none=True)]
    return [{"type": type(tool).__name__}]  # e.g. an MCP client session the SDK lists the tools of


def _schema(schema: Any) -> Any:
    if schema is None or isinstance(schema, Mapping):
        return schema
    return schema.model_dump(exclude_none=True, mode="json")
