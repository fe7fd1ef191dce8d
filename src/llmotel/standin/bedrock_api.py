"""The Bedrock runtime wire format: POST /model/{id}/converse, converse-stream, invoke, invoke-with-response-stream.

The model id is URL-encoded in the path (it is what `standin-<directive>` model names are read from); the SigV4
signature is not checked. Streams use the AWS event stream framing (`application/vnd.amazon.eventstream`): per
message a prelude (total length, headers length, CRC32), string headers `:event-type` / `:content-type` /
`:message-type` (or `:exception-type` for an exception), the JSON payload and the message CRC32. Errors carry their
code in `x-amzn-errortype` and `{"message": ...}` as the body. InvokeModel answers in each model family's own body:
Anthropic Claude (the Messages API), Meta Llama, Amazon Nova, Amazon Titan Text and Titan Embeddings.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from .accounting import count_words, last_user_text
from .answer import Answer, compose_answer
from .anthropic_api import _messages as anthropic_messages
from .body import JSON_CONTENT_TYPE, ChunkStream, Reply, encode_json
from .directives import RETRY_COUNT_HEADER, Directives
from .exchange import InvalidRequest, RequestBody, WireFormat, new_id, required_objects, serve
from .tools import AUTO, NONE, REQUIRED, ToolSpec, tools_to_call

BEDROCK_PATH_PREFIX = "/model/"
EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
LATENCY_MS = 42  # metrics.latencyMs / invocationLatency of every answer
EMBEDDING_DIMENSIONS = 1024  # Titan Text Embeddings v2's default

_ERROR_CODES = {
    400: "ValidationException",
    401: "UnrecognizedClientException",  # AWS's answer to unknown credentials; botocore has no class for it
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def bedrock_response(path: str, body: RequestBody, headers: Mapping[str, str]) -> Reply:
    """Answer one POST to a Bedrock runtime path; `headers` keys are lower-case."""
    _, _, rest = path.partition("?")[0].partition(BEDROCK_PATH_PREFIX)
    model, _, action = rest.rpartition("/")
    endpoint = _ENDPOINTS.get(action)
    if endpoint is None or not model:
        return _error(404, f"Not found: POST {path}")
    builder, wire = endpoint
    try:
        request = dict(body) if isinstance(body, Mapping) else json.loads(body or b"{}")
    except ValueError:
        return _error(400, "The request body is not valid JSON.")
    if not isinstance(request, dict):
        return _error(400, "The request body must be a JSON object.")
    # botocore counts attempts in amz-sdk-request ("attempt=2; max=5"): the shared `-once` directives read a retry count
    attempt = headers.get("amz-sdk-request", "attempt=1").partition("attempt=")[2].partition(";")[0]
    retry_count = str(int(attempt) - 1) if attempt.isdigit() else "0"
    return serve(builder, {**request, "model": unquote(model)}, {**headers, RETRY_COUNT_HEADER: retry_count}, wire)


def _error(status: int, message: str, param: str | None = None) -> Reply:
    code = _ERROR_CODES.get(status, "InternalServerException" if status >= 500 else "ValidationException")
    headers = {
        "content-type": JSON_CONTENT_TYPE,
        "x-amzn-requestid": new_id(""),
        "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
    }
    return Reply(status, headers, encode_json({"message": f"{param}: {message}" if param else message}))


def _reply(payload: dict[str, Any], usage: tuple[int, int] | None = None) -> Reply:
    headers = {"content-type": JSON_CONTENT_TYPE, "x-amzn-requestid": new_id("")}
    if usage is not None:  # InvokeModel reports the token counts as headers, for every model family
        headers["x-amzn-bedrock-input-token-count"] = str(usage[0])
        headers["x-amzn-bedrock-output-token-count"] = str(usage[1])
        headers["x-amzn-bedrock-invocation-latency"] = str(LATENCY_MS)
    return Reply(200, headers, encode_json(payload))


def _event_stream(events: Iterator[bytes]) -> Reply:
    headers = {"content-type": EVENT_STREAM_CONTENT_TYPE, "x-amzn-requestid": new_id("")}
    return Reply(200, headers, ChunkStream(events))


# -- the event stream framing


def frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event stream message; every header value is a string (type 7)."""
    encoded = b"".join(
        bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value.encode())) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(event_type: str, payload: Mapping[str, Any]) -> bytes:
    headers = {":event-type": event_type, ":content-type": JSON_CONTENT_TYPE, ":message-type": "event"}
    return frame(headers, encode_json(payload))


def exception_event(exception_type: str, message: str) -> bytes:
    headers = {":exception-type": exception_type, ":content-type": JSON_CONTENT_TYPE, ":message-type": "exception"}
    return frame(headers, encode_json({"message": message}))


def chunk_event(payload: Mapping[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream event: the family's JSON, base64 in `bytes`."""
    return event("chunk", {"bytes": base64.b64encode(encode_json(payload)).decode()})


_STREAM_ERROR = exception_event("modelStreamErrorException", "Stand-in scenario: the model stream failed.")


# -- Converse


def _block_text(block: Mapping[str, Any]) -> str:
    if "text" in block:
        return str(block["text"])
    result = block.get("toolResult")
    if isinstance(result, Mapping):
        return " ".join(_block_text(item) for item in result.get("content") or () if isinstance(item, Mapping))
    return ""


class _Conversation:
    """Word counts of a Converse (or Nova) request, with the prefix up to its last cachePoint block."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        messages = required_objects(request, "messages")
        blocks: list[Any] = list(request.get("system") or [])
        texts = []
        for message in messages:
            content = message.get("content") or []
            blocks.extend(content)
            texts.append(" ".join(_block_text(block) for block in content if isinstance(block, Mapping)))
        self.total = 0
        self.cached_prefix = 0
        for block in blocks:
            if isinstance(block, Mapping):
                self.total += count_words(_block_text(block))
                if "cachePoint" in block:
                    self.cached_prefix = self.total
        # The first turn writes the cache, a later turn (one with an assistant reply) reads it.
        self.cache_read = any(message.get("role") == "assistant" for message in messages)
        self.answers_tool_result = any("toolResult" in block for block in messages[-1].get("content") or ())
        self.last_user_text = last_user_text(messages, texts)

    def usage(self, output_tokens: int) -> dict[str, int]:
        """Bedrock's inputTokens excludes the cache reads and writes, reported beside it."""
        read = self.cached_prefix if self.cache_read else 0
        write = 0 if self.cache_read else self.cached_prefix
        uncached = self.total - self.cached_prefix
        usage = {"inputTokens": uncached, "outputTokens": output_tokens, "totalTokens": self.total + output_tokens}
        if self.cached_prefix:
            usage.update(cacheReadInputTokens=read, cacheWriteInputTokens=write)
        return usage


def _tool_choice(choice: object) -> str:
    if not isinstance(choice, Mapping):
        return AUTO
    if "any" in choice:
        return REQUIRED
    tool = choice.get("tool")
    return str(tool["name"]) if isinstance(tool, Mapping) and "name" in tool else AUTO


def _converse_answer(
    request: Mapping[str, Any], directives: Directives, max_tokens_key: str
) -> tuple[Answer, str, dict[str, int]]:
    """The answer, its stop reason and its usage."""
    conversation = _Conversation(request)
    tool_config = request.get("toolConfig") or {}
    tools = [
        ToolSpec(spec["name"], (spec.get("inputSchema") or {}).get("json") or {})
        for tool in tool_config.get("tools") or ()
        if isinstance(spec := tool.get("toolSpec"), Mapping) and "name" in spec
    ]
    choice = _tool_choice(tool_config.get("toolChoice")) if tools else NONE
    calls = tools_to_call(tools, choice, conversation.last_user_text, conversation.answers_tool_result)
    max_tokens = (request.get("inferenceConfig") or {}).get(max_tokens_key)
    answer = compose_answer(str(request["model"]), directives.chunks, calls, None, max_tokens)
    reason = "tool_use" if answer.tool_calls else "max_tokens" if answer.truncated else "end_turn"
    return answer, reason, conversation.usage(answer.output_tokens)


def _content(answer: Answer) -> list[dict[str, Any]]:
    if not answer.tool_calls:
        return [{"text": answer.text}]
    return [
        {"toolUse": {"toolUseId": new_id("tooluse_"), "name": call.name, "input": json.loads(call.arguments)}}
        for call in answer.tool_calls
    ]


def _converse(request: dict[str, Any], directives: Directives) -> Reply:
    answer, reason, usage = _converse_answer(request, directives, "maxTokens")
    return _reply(
        {
            "output": {"message": {"role": "assistant", "content": _content(answer)}},
            "stopReason": reason,
            "usage": usage,
            "metrics": {"latencyMs": LATENCY_MS},
        }
    )


def _converse_events(answer: Answer, reason: str, usage: Mapping[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event type, payload): messageStart, per block (start for tools) deltas and stop, messageStop, metadata."""
    yield "messageStart", {"role": "assistant"}
    if answer.tool_calls:
        for index, (block, pieces) in enumerate(zip(_content(answer), answer.tool_pieces, strict=True)):
            tool = block["toolUse"]
            start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
            yield "contentBlockStart", {"start": start, "contentBlockIndex": index}
            for piece in pieces:
                yield "contentBlockDelta", {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index}
            yield "contentBlockStop", {"contentBlockIndex": index}
    else:
        for piece in answer.pieces:
            yield "contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0}
        yield "contentBlockStop", {"contentBlockIndex": 0}
    yield "messageStop", {"stopReason": reason}
    yield "metadata", {"usage": usage, "metrics": {"latencyMs": LATENCY_MS}}


def _converse_stream(request: dict[str, Any], directives: Directives) -> Reply:
    answer, reason, usage = _converse_answer(request, directives, "maxTokens")
    return _event_stream(event(kind, payload) for kind, payload in _converse_events(answer, reason, usage))


# -- InvokeModel: the model families' bodies. Each gives the whole answer and its stream chunks (JSON objects).

Family = Callable[[dict[str, Any], Directives], tuple[dict[str, Any], list[dict[str, Any]], tuple[int, int]]]


def _anthropic(request: dict[str, Any], directives: Directives) -> Any:
    if request.get("anthropic_version") != "bedrock-2023-05-31":
        raise InvalidRequest("anthropic_version must be bedrock-2023-05-31.", "anthropic_version")
    whole = json.loads(anthropic_messages({**request, "stream": False}, directives).body)  # type: ignore[arg-type]
    events = anthropic_messages({**request, "stream": True}, directives).body
    assert isinstance(events, ChunkStream)
    chunks = [json.loads(line[len(b"data: ") :]) for sse in events for line in sse.split(b"\n") if line[:5] == b"data:"]
    usage = whole["usage"]
    return (
        whole,
        [chunk for chunk in chunks if chunk["type"] != "ping"],
        (usage["input_tokens"], usage["output_tokens"]),
    )


def _prompt_answer(request: Mapping[str, Any], directives: Directives, prompt: str, limit: object) -> Answer:
    if not isinstance(request.get(prompt), str):
        raise InvalidRequest(f"'{prompt}' is required and must be a string.", prompt)
    budget = limit if isinstance(limit, int) else None
    return compose_answer(str(request["model"]), directives.chunks, [], None, budget)


def _llama(request: dict[str, Any], directives: Directives) -> Any:
    answer = _prompt_answer(request, directives, "prompt", request.get("max_gen_len"))
    prompt_tokens = count_words(request["prompt"])
    reason = "length" if answer.truncated else "stop"
    whole = {
        "generation": answer.text,
        "prompt_token_count": prompt_tokens,
        "generation_token_count": answer.output_tokens,
        "stop_reason": reason,
    }
    chunks = [
        {
            "generation": piece,
            "prompt_token_count": prompt_tokens if index == 0 else None,
            "generation_token_count": index + 1,
            "stop_reason": reason if index == len(answer.pieces) - 1 else None,
        }
        for index, piece in enumerate(answer.pieces)
    ]
    return whole, chunks, (prompt_tokens, answer.output_tokens)


def _titan_text(request: dict[str, Any], directives: Directives) -> Any:
    config = request.get("textGenerationConfig") or {}
    answer = _prompt_answer(request, directives, "inputText", config.get("maxTokenCount"))
    input_tokens = count_words(request["inputText"])
    reason = "LENGTH" if answer.truncated else "FINISH"
    result = {"tokenCount": answer.output_tokens, "outputText": answer.text, "completionReason": reason}
    chunks = [
        {
            "outputText": piece,
            "index": 0,
            "totalOutputTextTokenCount": index + 1,
            "completionReason": reason if index == len(answer.pieces) - 1 else None,
            "inputTextTokenCount": input_tokens if index == 0 else None,
        }
        for index, piece in enumerate(answer.pieces)
    ]
    return {"inputTextTokenCount": input_tokens, "results": [result]}, chunks, (input_tokens, answer.output_tokens)


def _nova(request: dict[str, Any], directives: Directives) -> Any:
    answer, reason, usage = _converse_answer(request, directives, "max_new_tokens")
    # Nova's own body spells the cache counts ...InputTokenCount
    nova_usage = {key.replace("InputTokens", "InputTokenCount"): value for key, value in usage.items()}
    whole = {
        "output": {"message": {"role": "assistant", "content": _content(answer)}},
        "stopReason": reason,
        "usage": nova_usage,
    }
    chunks = [{kind: payload} for kind, payload in _converse_events(answer, reason, nova_usage)]
    return whole, chunks, (usage["inputTokens"], answer.output_tokens)


def _titan_embed(request: dict[str, Any], directives: Directives) -> Any:
    if not isinstance(request.get("inputText"), str):
        raise InvalidRequest("'inputText' is required and must be a string.", "inputText")
    dimensions = request.get("dimensions", EMBEDDING_DIMENSIONS)
    generator = random.Random(request["inputText"])  # equal inputs, equal vectors
    vector = [generator.gauss(0, 1) for _ in range(dimensions)]
    norm = sum(value * value for value in vector) ** 0.5
    embedding = [value / norm for value in vector]
    tokens = count_words(request["inputText"])
    return (
        {"embedding": embedding, "embeddingsByType": {"float": embedding}, "inputTextTokenCount": tokens},
        [],
        (tokens, 0),
    )


_FAMILIES: tuple[tuple[str, Family], ...] = (
    ("anthropic.", _anthropic),
    ("meta.llama", _llama),
    ("amazon.nova", _nova),
    ("amazon.titan-embed", _titan_embed),
    ("amazon.titan-text", _titan_text),
)


def _family(model: str) -> Family:
    for marker, family in _FAMILIES:
        if marker in model:
            return family
    # a `standin-<directive>` model name stands for a Claude model
    if model.startswith("standin-"):
        return _anthropic
    raise InvalidRequest(f"The stand-in does not know model {model!r}.", "modelId")


def _invoke(request: dict[str, Any], directives: Directives) -> Reply:
    whole, _, usage = _family(str(request["model"]))(request, directives)
    return _reply(whole, usage)


def _invoke_stream(request: dict[str, Any], directives: Directives) -> Reply:
    _, chunks, (input_tokens, output_tokens) = _family(str(request["model"]))(request, directives)
    if not chunks:
        raise InvalidRequest("The model does not support streaming.", "modelId")
    metrics = {
        "inputTokenCount": input_tokens,
        "outputTokenCount": output_tokens,
        "invocationLatency": LATENCY_MS,
        "firstByteLatency": LATENCY_MS // 2,
    }
    chunks[-1] = {**chunks[-1], "amazon-bedrock-invocationMetrics": metrics}
    return _event_stream(chunk_event(chunk) for chunk in chunks)


def _wire(malformed_event_type: str) -> WireFormat:
    return WireFormat(
        error=_error,
        malformed_event=frame(
            {":event-type": malformed_event_type, ":content-type": JSON_CONTENT_TYPE, ":message-type": "event"},
            b"{malformed",
        ),
        stream_error_event=lambda delivered: _STREAM_ERROR,
    )


_CONVERSE_WIRE = _wire("contentBlockDelta")
_INVOKE_WIRE = _wire("chunk")
_ENDPOINTS: dict[str, tuple[Callable[[dict[str, Any], Directives], Reply], WireFormat]] = {
    "converse": (_converse, _CONVERSE_WIRE),
    "converse-stream": (_converse_stream, _CONVERSE_WIRE),
    "invoke": (_invoke, _INVOKE_WIRE),
    "invoke-with-response-stream": (_invoke_stream, _INVOKE_WIRE),
}
