"""InvokeModel and InvokeModelWithResponseStream: each model family's own JSON body, one table row per family.

The response body is a StreamingBody the caller reads: llmotel reads it once and hands the caller a new
StreamingBody over the same bytes. Streamed chunks are `{"chunk": {"bytes": <the family's JSON event>}}`; Bedrock
adds `amazon-bedrock-invocationMetrics` (token counts) to the last one, used when the family's events carry none.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.response import StreamingBody

from llmotel import semconv
from llmotel.core.adapter import Operation, Parameters, copy_parameters
from llmotel.core.call import Call, InputContent, Request
from llmotel.core.content import text_part
from llmotel.providers.anthropic.messages import _input_message as anthropic_message
from llmotel.providers.bedrock import runtime
from llmotel.providers.bedrock.converse import converse_event, message_of, record_converse_usage, tool_definition

Body = Mapping[str, Any]


# -- Anthropic Claude: the Messages API body (anthropic_version "bedrock-2023-05-31") and its stream events


def _anthropic_input(body: Body) -> InputContent:
    system = body.get("system")
    blocks = [{"text": system}] if isinstance(system, str) else system or ()
    return InputContent(
        system_instructions=[text_part(block.get("text", "")) for block in blocks],
        messages=[anthropic_message(message) for message in body.get("messages") or ()],
        tool_definitions=[tool for tool in body.get("tools") or () if isinstance(tool, dict)],
    )


def _anthropic_usage(call: Call, usage: Any) -> None:
    if isinstance(usage, Mapping):
        read, write = usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens")
        runtime.record_usage(call, usage.get("input_tokens"), usage.get("output_tokens"), read, write)


def _anthropic_response(call: Call, body: Body) -> None:
    call.response_id = body.get("id") or call.response_id
    call.response_model = body.get("model")
    reason = body.get("stop_reason")
    if reason:
        call.set_finish_reason(0, reason)
    _anthropic_usage(call, body.get("usage"))
    if call.capture_content:
        output = anthropic_message({"role": "assistant", "content": body.get("content")})
        call.output_messages = [{**output, "finish_reason": reason or "error"}]


_DELTA_KINDS = {"input_json_delta": "tool_call", "thinking_delta": "reasoning"}


def _anthropic_chunk(call: Call, event: Body) -> None:
    kind = event.get("type")
    if kind == "content_block_delta":
        if call.capture_content:
            delta = event.get("delta") or {}
            fragment = delta.get("text") or delta.get("partial_json") or delta.get("thinking")
            if fragment:
                kind = _DELTA_KINDS.get(str(delta.get("type")), "text")
                runtime.stream_state(call).add(event.get("index", 0), kind, fragment)
    elif kind == "message_start":
        message = event.get("message") or {}
        call.response_id = message.get("id") or call.response_id
        call.response_model = message.get("model")
        _anthropic_usage(call, message.get("usage"))
    elif kind == "content_block_start":
        block = event.get("content_block") or {}
        if call.capture_content and block.get("type") == "tool_use":
            runtime.stream_state(call).start(event.get("index", 0), "tool_call", block.get("id"), block.get("name"))
    elif kind == "message_delta":
        reason = (event.get("delta") or {}).get("stop_reason")
        if reason:
            call.set_finish_reason(0, reason)
        output_tokens = (event.get("usage") or {}).get("output_tokens")
        if isinstance(output_tokens, int):
            call.output_tokens = output_tokens


# -- Meta Llama: a raw prompt; `generation`, token counts and `stop_reason` (also per stream chunk)


def _prompt_input(key: str) -> Callable[[Body], InputContent]:
    def input_content(body: Body) -> InputContent:
        return InputContent(messages=[{"role": "user", "parts": [text_part(str(body.get(key, "")))]}])

    return input_content


def _completion(call: Call, text: Any, reason: Any, input_tokens: Any, output_tokens: Any) -> None:
    """A whole text completion: its text, stop reason and token counts."""
    if reason:
        call.set_finish_reason(0, reason)
    runtime.record_usage(call, input_tokens, output_tokens)
    if call.capture_content:
        message = {"role": "assistant", "parts": [text_part(str(text or ""))], "finish_reason": reason or "error"}
        call.output_messages = [message]


def _completion_chunk(call: Call, text: Any, reason: Any, input_tokens: Any, output_tokens: Any) -> None:
    if reason:
        call.set_finish_reason(0, reason)
    runtime.record_usage(call, input_tokens, output_tokens)
    if call.capture_content and text:
        runtime.stream_state(call).add(0, "text", text)


def _llama_response(call: Call, body: Body) -> None:
    tokens = body.get("prompt_token_count"), body.get("generation_token_count")
    _completion(call, body.get("generation"), body.get("stop_reason"), *tokens)


def _llama_chunk(call: Call, event: Body) -> None:
    tokens = event.get("prompt_token_count"), event.get("generation_token_count")
    _completion_chunk(call, event.get("generation"), event.get("stop_reason"), *tokens)


# -- Amazon Titan Text: `inputText`, `results` with `completionReason`


def _titan_response(call: Call, body: Body) -> None:
    result = (body.get("results") or [{}])[0]
    tokens = body.get("inputTextTokenCount"), result.get("tokenCount")
    _completion(call, result.get("outputText"), result.get("completionReason"), *tokens)


def _titan_chunk(call: Call, event: Body) -> None:
    tokens = event.get("inputTextTokenCount"), event.get("totalOutputTextTokenCount")
    _completion_chunk(call, event.get("outputText"), event.get("completionReason"), *tokens)


# -- Amazon Nova: the messages-v1 body, Converse-shaped messages, events and usage


def _nova_input(body: Body) -> InputContent:
    return InputContent(
        system_instructions=[text_part(block.get("text", "")) for block in body.get("system") or ()],
        messages=[message_of(message) for message in body.get("messages") or ()],
        tool_definitions=[tool_definition(tool) for tool in (body.get("toolConfig") or {}).get("tools") or ()],
    )


def _nova_response(call: Call, body: Body) -> None:
    reason = body.get("stopReason")
    if reason:
        call.set_finish_reason(0, reason)
    record_converse_usage(call, body.get("usage"))
    if call.capture_content:
        output = message_of((body.get("output") or {}).get("message") or {})
        call.output_messages = [{**output, "finish_reason": reason or "error"}]


# -- Amazon Titan Embeddings: `inputText` -> `embedding`


def _embedding_response(call: Call, body: Body) -> None:
    runtime.record_usage(call, body.get("inputTextTokenCount"), None)
    call.output_tokens = None  # an embedding has no output tokens (the header says 0)
    embedding = body.get("embedding")
    if isinstance(embedding, list):
        call.response_attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(embedding)


def _no_input(body: Body) -> InputContent:
    return InputContent()


def _no_chunk(call: Call, event: Body) -> None:
    pass


@dataclass(frozen=True)
class Family:
    name: str
    operation: str
    config: str | None  # the body key holding the request parameters; None: the top level
    parameters: Parameters
    input_content: Callable[[Body], InputContent]
    response: Callable[[Call, Body], None]
    chunk: Callable[[Call, Body], None]


_SAMPLING = {"temperature": semconv.GEN_AI_REQUEST_TEMPERATURE}
FAMILIES = (
    # (model id marker, family): a marker found anywhere in the id, so cross-region profiles ("us.anthropic...")
    # and foundation-model ARNs match too
    (
        "anthropic.",
        Family(
            "anthropic",
            "chat",
            None,
            {
                **_SAMPLING,
                "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
                "top_p": semconv.GEN_AI_REQUEST_TOP_P,
                "top_k": semconv.GEN_AI_REQUEST_TOP_K,
                "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
            },
            _anthropic_input,
            _anthropic_response,
            _anthropic_chunk,
        ),
    ),
    (
        "meta.llama",
        Family(
            "meta",
            "text_completion",
            None,
            {**_SAMPLING, "max_gen_len": semconv.GEN_AI_REQUEST_MAX_TOKENS, "top_p": semconv.GEN_AI_REQUEST_TOP_P},
            _prompt_input("prompt"),
            _llama_response,
            _llama_chunk,
        ),
    ),
    (
        "amazon.nova",
        Family(
            "nova",
            "chat",
            "inferenceConfig",
            {
                **_SAMPLING,
                "max_new_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
                "top_p": semconv.GEN_AI_REQUEST_TOP_P,
                "top_k": semconv.GEN_AI_REQUEST_TOP_K,
                "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
            },
            _nova_input,
            _nova_response,
            converse_event,
        ),
    ),
    (
        "amazon.titan-embed",
        Family("titan-embed", "embeddings", None, {}, _no_input, _embedding_response, _no_chunk),
    ),
    (
        "amazon.titan-text",
        Family(
            "titan-text",
            "text_completion",
            "textGenerationConfig",
            {
                **_SAMPLING,
                "maxTokenCount": semconv.GEN_AI_REQUEST_MAX_TOKENS,
                "topP": semconv.GEN_AI_REQUEST_TOP_P,
                "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
            },
            _prompt_input("inputText"),
            _titan_response,
            _titan_chunk,
        ),
    ),
)
# A model the table does not know (or an application inference profile ARN, which names no model): usage from
# Bedrock's response headers and invocation metrics only.
OTHER = Family("other", "chat", None, {}, _no_input, lambda call, body: None, _no_chunk)


def family_of(model_id: object) -> Family:
    if isinstance(model_id, str):
        for marker, family in FAMILIES:
            if marker in model_id:
                return family
    return OTHER


def _body(params: Mapping[str, Any]) -> Body:
    """The request body as JSON; empty when the caller passed a file-like body (reading it would consume it)."""
    raw = params.get("body")
    if isinstance(raw, (bytes, bytearray, str)):
        try:
            body = json.loads(raw)
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return {}


class _FailedRead:
    """A raw stream whose reads raise what reading the original body raised: the caller meets the same failure."""

    def __init__(self, exc: Exception) -> None:
        self._exc = exc

    def read(self, *args: Any) -> bytes:
        raise self._exc

    def close(self) -> None:
        pass


def _read_body(result: Any) -> Body:
    body = result.get("body")
    if not isinstance(body, StreamingBody):
        return {}
    try:
        data = body.read()
    except Exception as exc:
        result["body"] = StreamingBody(_FailedRead(exc), None)
        return {}
    result["body"] = StreamingBody(io.BytesIO(data), len(data))
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _header_count(result: Any, name: str) -> int | None:
    headers = (result.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    value = headers.get(name)
    return int(value) if isinstance(value, str) and value.isdigit() else None


class InvokeModel(Operation):
    positional = runtime.POSITIONAL

    def __init__(self, family: Family, stream: bool = False) -> None:
        self.family = family
        self.stream = stream

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        params = runtime.api_params(kwargs)
        family = self.family
        body = _body(params)
        config = body.get(family.config) if family.config else body
        attributes = copy_parameters(config, family.parameters) if isinstance(config, Mapping) else {}
        guardrail = params.get("guardrailIdentifier")
        if isinstance(guardrail, str):
            attributes[semconv.AWS_BEDROCK_GUARDRAIL_ID] = guardrail
        if self.stream:
            attributes[semconv.GEN_AI_REQUEST_STREAM] = True
        address, port = runtime.endpoint(instance)
        model = str(params.get("modelId"))
        return Request(family.operation, runtime.PROVIDER, model, address, port, attributes, self.stream)

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        return self.family.input_content(_body(runtime.api_params(kwargs)))

    def response(self, call: Call, result: Any) -> None:
        call.response_id = runtime.request_id(result)
        input_tokens = _header_count(result, "x-amzn-bedrock-input-token-count")
        output_tokens = _header_count(result, "x-amzn-bedrock-output-token-count")
        runtime.record_usage(call, input_tokens, output_tokens)
        self.family.response(call, _read_body(result))

    def wrap_stream(self, call: Call, result: Any, proxy: Callable[[Any], Any]) -> Any:
        call.response_id = runtime.request_id(result)
        result["body"] = proxy(runtime.SteppableEventStream(result["body"]))
        return result

    def chunk(self, call: Call, event: Any) -> None:
        part = event.get("chunk")
        if part is None:
            return
        data = json.loads(part["bytes"])
        self.family.chunk(call, data)
        metrics = data.get("amazon-bedrock-invocationMetrics")
        if metrics is not None and (call.input_tokens is None or call.output_tokens is None):
            runtime.record_usage(
                call,
                metrics.get("inputTokenCount") if call.input_tokens is None else None,
                metrics.get("outputTokenCount") if call.output_tokens is None else None,
                metrics.get("cacheReadInputTokenCount"),
                metrics.get("cacheWriteInputTokenCount"),
            )

    def stream_end(self, call: Call) -> None:
        runtime.end_stream_content(call)
