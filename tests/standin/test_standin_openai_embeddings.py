"""Embeddings through the real openai client, float and base64 (the client's default) encodings."""

from __future__ import annotations

import math

import openai

from llmotel.standin import StandinServer


def test_float_embeddings_are_unit_vectors_stable_per_input(openai_client: openai.OpenAI) -> None:
    result = openai_client.embeddings.create(
        model="text-embedding-3-small", input=["one two", "three", "one two"], encoding_format="float"
    )

    assert [item.index for item in result.data] == [0, 1, 2]
    first, second, third = (item.embedding for item in result.data)
    assert len(first) == 1536
    assert math.isclose(sum(v * v for v in first), 1.0, rel_tol=1e-9)
    assert first == third and first != second
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (5, 5)
    assert result.model == "text-embedding-3-small"


def test_base64_default_decodes_to_the_same_vector(openai_client: openai.OpenAI, server: StandinServer) -> None:
    as_float = openai_client.embeddings.create(model="text-embedding-3-large", input="hello", encoding_format="float")
    as_default = openai_client.embeddings.create(model="text-embedding-3-large", input="hello", dimensions=256)
    as_base64 = openai_client.embeddings.create(model="text-embedding-3-large", input="hello")

    assert server.requests[1].body["encoding_format"] == "base64"
    assert len(as_float.data[0].embedding) == 3072
    assert len(as_default.data[0].embedding) == 256
    assert all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)
        for a, b in zip(as_float.data[0].embedding, as_base64.data[0].embedding, strict=True)
    )


def test_token_array_input_counts_one_token_per_entry(openai_client: openai.OpenAI) -> None:
    result = openai_client.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3], [4]])

    assert result.usage.prompt_tokens == 4
    assert len(result.data) == 2
