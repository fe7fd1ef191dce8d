"""The Bedrock runtime wire format through the real boto3 client (and raw frames through botocore's own decoder)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import boto3
import pytest
import urllib3
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError

from llmotel.standin import StandinServer
from llmotel.standin.bedrock_api import bedrock_response, chunk_event, exception_event
from llmotel.standin.body import ChunkStream

NOVA = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello"}]}]


# SigV4-signed with throwaway keys, which the stand-in does not check
THROWAWAY_KEYS = {"region_name": "us-east-1", "aws_access_key_id": "any", "aws_secret_access_key": "any"}


@pytest.fixture
def bedrock(server: StandinServer) -> Iterator[Any]:
    client = boto3.client(
        "bedrock-runtime", endpoint_url=server.url, config=Config(retries={"max_attempts": 1}), **THROWAWAY_KEYS
    )
    with closing(client):
        yield client


def test_frames_decode_with_botocore() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(chunk_event({"a": 1}) + exception_event("throttlingException", "slow down"))
    first, second = list(buffer)
    assert first.headers == {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    assert json.loads(first.payload) == {"bytes": "eyJhIjoxfQ=="}  # base64 of {"a":1}
    assert second.headers[":message-type"] == "exception"
    assert second.headers[":exception-type"] == "throttlingException"
    assert json.loads(second.payload) == {"message": "slow down"}


def test_model_id_is_url_decoded_from_the_path(bedrock: Any, server: StandinServer) -> None:
    profile = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0"
    response = bedrock.converse(modelId=profile, messages=MESSAGES)
    assert "%3A" in server.requests[-1].path
    assert response["output"]["message"]["content"] == [{"text": f"Hello from the llmotel stand-in model {profile}"}]


def test_converse(bedrock: Any) -> None:
    response = bedrock.converse(modelId=NOVA, messages=MESSAGES, inferenceConfig={"maxTokens": 4})
    assert response["stopReason"] == "max_tokens"
    assert response["usage"] == {"inputTokens": 2, "outputTokens": 4, "totalTokens": 6}
    assert response["metrics"] == {"latencyMs": 42}
    assert response["ResponseMetadata"]["RequestId"]


def test_converse_cache_points(bedrock: Any) -> None:
    system = [{"text": "Three cached words"}, {"cachePoint": {"type": "default"}}]
    first = bedrock.converse(modelId=NOVA, system=system, messages=MESSAGES)
    assert first["usage"]["inputTokens"] == 2
    assert (first["usage"]["cacheWriteInputTokens"], first["usage"]["cacheReadInputTokens"]) == (3, 0)
    again = [*MESSAGES, first["output"]["message"], {"role": "user", "content": [{"text": "Again"}]}]
    second = bedrock.converse(modelId=NOVA, system=system, messages=again)
    assert (second["usage"]["cacheWriteInputTokens"], second["usage"]["cacheReadInputTokens"]) == (0, 3)


def test_converse_tools(bedrock: Any) -> None:
    spec = {"name": "lookup", "inputSchema": {"json": {"type": "object", "properties": {"q": {"type": "string"}}}}}
    tools = {"tools": [{"toolSpec": spec}], "toolChoice": {"any": {}}}
    response = bedrock.converse(modelId=NOVA, messages=MESSAGES, toolConfig=tools)
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "lookup" and block["toolUse"]["input"] == {"q": "standin"}


def test_converse_stream_events(bedrock: Any) -> None:
    events = list(bedrock.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    assert [next(iter(event)) for event in events] == [
        "messageStart",
        *["contentBlockDelta"] * 7,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(event["contentBlockDelta"]["delta"]["text"] for event in events if "contentBlockDelta" in event)
    assert text == f"Hello from the llmotel stand-in model {NOVA}"
    assert events[-1]["metadata"]["usage"] == {"inputTokens": 2, "outputTokens": 7, "totalTokens": 9}


@pytest.mark.parametrize(
    ("model", "body", "answer_of"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "Hi"}],
            },
            lambda body: body["content"][0]["text"],
        ),
        ("meta.llama3-8b-instruct-v1:0", {"prompt": "Hi"}, lambda body: body["generation"]),
        (
            "amazon.nova-lite-v1:0",
            {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]},
            lambda body: body["output"]["message"]["content"][0]["text"],
        ),
        ("amazon.titan-text-lite-v1", {"inputText": "Hi"}, lambda body: body["results"][0]["outputText"]),
    ],
    ids=["claude", "llama", "nova", "titan"],
)
def test_invoke_families(bedrock: Any, model: str, body: dict[str, Any], answer_of: Any) -> None:
    response = bedrock.invoke_model(modelId=model, body=json.dumps(body))
    assert answer_of(json.loads(response["body"].read())) == f"Hello from the llmotel stand-in model {model}"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert (headers["x-amzn-bedrock-input-token-count"], headers["x-amzn-bedrock-output-token-count"]) == ("1", "7")
    streamed = bedrock.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in streamed["body"]]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (1, 7)
    assert all("amazon-bedrock-invocationMetrics" not in chunk for chunk in chunks[:-1])


def test_titan_embeddings_are_deterministic_unit_vectors(bedrock: Any) -> None:
    body = json.dumps({"inputText": "two words", "dimensions": 256})
    first, second = (
        json.loads(bedrock.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)["body"].read())
        for _ in range(2)
    )
    assert first == second and len(first["embedding"]) == 256 and first["inputTextTokenCount"] == 2
    assert abs(sum(value * value for value in first["embedding"]) - 1) < 1e-9


def test_invoke_claude_requires_the_bedrock_anthropic_version(bedrock: Any) -> None:
    body = {"max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(bedrock.exceptions.ValidationException, match="anthropic_version"):
        bedrock.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps(body))


@pytest.mark.parametrize(
    ("model", "code"),
    [
        ("standin-error-429", "ThrottlingException"),
        ("standin-error-400", "ValidationException"),
        ("standin-error-503", "ServiceUnavailableException"),
        ("standin-error-401", "UnrecognizedClientException"),
    ],
)
def test_errors_from_the_model_name(bedrock: Any, model: str, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        bedrock.converse(modelId=model, messages=MESSAGES)
    assert raised.value.response["Error"] == {"Code": code, "Message": f"Stand-in scenario {model[8:]}."}


def test_error_once_reads_botocore_attempts(server: StandinServer) -> None:
    client = boto3.client(
        "bedrock-runtime", endpoint_url=server.url, config=Config(retries={"max_attempts": 2}), **THROWAWAY_KEYS
    )
    with closing(client):
        client.converse(modelId="standin-error-429-once", messages=MESSAGES)
    attempts = [re.search(r"attempt=(\d)", request.headers["amz-sdk-request"]) for request in server.requests]
    assert [attempt and attempt[1] for attempt in attempts] == ["1", "2"]


def test_mid_stream_exception_event(bedrock: Any) -> None:
    received = []
    with pytest.raises(EventStreamError) as raised:
        for event in bedrock.converse_stream(modelId="standin-error-event-after-2", messages=MESSAGES)["stream"]:
            received.append(event)
    assert len(received) == 2
    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_cut_stream(bedrock: Any) -> None:
    received = []
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for event in bedrock.converse_stream(modelId="standin-cut-after-3", messages=MESSAGES)["stream"]:
            received.append(event)
    assert len(received) == 3


def test_unknown_action_and_model() -> None:
    status, headers, _ = bedrock_response("/model/x/summon", {}, {})
    assert (status, headers["x-amzn-errortype"].partition(":")[0]) == (404, "ResourceNotFoundException")
    status, _, body = bedrock_response("/model/unknown.model/invoke", {"inputText": "Hi"}, {})
    assert status == 400 and b"unknown.model" in body  # type: ignore[operator]
    status, _, body = bedrock_response(
        "/model/amazon.titan-embed-text-v2%3A0/invoke-with-response-stream", {"inputText": "Hi"}, {}
    )
    assert status == 400 and not isinstance(body, ChunkStream)
