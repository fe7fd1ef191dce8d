"""The documented rules on their own: schema samples, directive parsing, word accounting."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from llmotel.standin.accounting import even_pieces, reply_text, truncate_words, word_pieces
from llmotel.standin.directives import DirectiveError, Directives, parse_directives
from llmotel.standin.schema_sample import sample_json
from standin_support import cli_environment


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "standin"),
        ({"type": "string", "format": "date-time"}, "2025-01-01T00:00:00Z"),
        ({"type": "string", "minLength": 10}, "standinxxx"),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": ["null", "number"]}, 1.5),
        ({"enum": ["red", "green"]}, "red"),
        ({"const": 3}, 3),
        ({"anyOf": [{"type": "null"}, {"type": "boolean"}]}, True),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 1]),
        ({"allOf": [{"$ref": "#/$defs/Id"}], "$defs": {"Id": {"type": "integer"}}}, 1),
        (
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/definitions/B"}},
                "definitions": {"B": {"type": "null"}},
            },
            {"a": None},
        ),
    ],
)
def test_schema_samples(schema: dict[str, Any], expected: object) -> None:
    assert sample_json(schema) == expected


def test_recursive_schema_ends() -> None:
    node = {"type": "object", "properties": {"child": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}}

    sample = sample_json(node)

    depth = 0
    while isinstance(sample, dict) and sample.get("child") is not None:
        sample, depth = sample["child"], depth + 1
    assert 1 <= depth <= 8


def test_directives_from_headers_and_model() -> None:
    directives = parse_directives(
        {"x-standin-scenario": "error-503-once, slow-first-chunk-250", "x-standin-chunks": "12"},
        "standin-cut-after-4",
    )

    assert directives == Directives(chunks=12, error_status=503, error_once=True, cut_after=4, first_chunk_delay_s=0.25)
    assert parse_directives({}, "gpt-4o-mini") == Directives()


@pytest.mark.parametrize(
    ("headers", "model", "named"),
    [
        ({"x-standin-scenario": "error-42"}, "m", "header x-standin-scenario"),
        ({"x-standin-scenario": "error-200"}, "m", "header x-standin-scenario"),
        ({"x-standin-chunks": "0"}, "m", "header x-standin-chunks"),
        ({"x-standin-chunks": "lots"}, "m", "header x-standin-chunks"),
        ({}, "standin-turbo", "model 'standin-turbo'"),
    ],
)
def test_bad_directives_name_their_source(headers: dict[str, str], model: str, named: str) -> None:
    with pytest.raises(DirectiveError, match=named):
        parse_directives(headers, model)


def test_reply_words_pieces_and_truncation() -> None:
    text = reply_text("m", 10)

    assert text == "Hello from the llmotel stand-in model m and here is"
    assert "".join(word_pieces(text)) == text and len(word_pieces(text)) == 10
    assert truncate_words(text, 3) == "Hello from the"
    assert even_pieces('{"a": 1}', 3) == ['{"a', '": ', "1}"]
    assert even_pieces("ab", 5) == ["a", "b"]


def test_cli_refuses_a_busy_port_in_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "llmotel.standin", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env=cli_environment(),
        )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"python -m llmotel.standin: --port {port}: Address already in use; pick another port, or 0 for a free one"
    ]
