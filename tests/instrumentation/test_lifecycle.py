"""Uninstrument, entry points, zero-code `opentelemetry-instrument`, and llmotel's own failures never reaching users."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import openai
import pytest
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from llm_support import GPT
from llmotel.providers.anthropic import AnthropicInstrumentor
from llmotel.providers.openai import OpenAIInstrumentor

ROOT = Path(__file__).resolve().parents[2]


def test_uninstrument_restores_the_sdk(instrument, openai_client: openai.OpenAI) -> None:
    original = openai.resources.chat.completions.completions.Completions.create
    telemetry = instrument()
    assert openai.resources.chat.completions.completions.Completions.create is not original
    OpenAIInstrumentor().uninstrument()
    AnthropicInstrumentor().uninstrument()
    assert openai.resources.chat.completions.completions.Completions.create is original
    stream = openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert type(stream).__name__ == "Stream"
    list(stream)
    assert telemetry.spans() == []


LIBRARIES = {  # entry point -> what it instruments
    "llmotel_openai": "openai",
    "llmotel_anthropic": "anthropic",
    "llmotel_google_genai": "google.genai",
    "llmotel_bedrock": "botocore",
    "llmotel_cohere": "cohere",
    "llmotel_mistralai": "mistralai",
    "llmotel_groq": "groq",
    "llmotel_ollama": "ollama",
    "llmotel_litellm": "litellm",
    "llmotel_langchain": "langchain_core",
    "llmotel_openai_agents": "agents",
    "llmotel_mcp": "mcp",
}


def test_entry_points_have_unique_names() -> None:
    """Every instrumentor is registered under an llmotel_ name (never a peer's `openai`) and loads."""
    ours = {ep.name: ep for ep in entry_points(group="opentelemetry_instrumentor") if ep.value.startswith("llmotel")}
    assert sorted(ours) == sorted(LIBRARIES)
    assert ours["llmotel_openai"].value == "llmotel.providers.openai:OpenAIInstrumentor"
    for entry_point in ours.values():
        assert issubclass(entry_point.load(), BaseInstrumentor), entry_point.name


STARTUP_IMPORTS = f"""
import sys
print(sorted(name for name in {sorted(LIBRARIES.values())!r} if name in sys.modules))
from groq.resources.chat.completions import Completions
from wrapt import FunctionWrapper
print(isinstance(vars(Completions)["create"], FunctionWrapper))
"""


def test_zero_code_startup_imports_no_sdk() -> None:
    """`opentelemetry-instrument` instruments all twelve libraries (installed here) without importing any of them:
    an application pays only for the SDKs it imports itself."""
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    result = subprocess.run(
        [str(instrument), sys.executable, "-c", STARTUP_IMPORTS],
        env={**env, "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Failed to auto initialize" not in result.stderr, result.stderr
    assert result.stdout.split() == ["[]", "True"]  # nothing imported, yet the first import is patched


LAZY_PATCHING = """
import sys
from wrapt import FunctionWrapper
from llmotel.providers.openai import OpenAIInstrumentor
instrumentor = OpenAIInstrumentor()
instrumentor.instrument()
assert "openai" not in sys.modules, "instrument() imported the SDK"
from openai.resources.chat.completions.completions import Completions
assert isinstance(vars(Completions)["create"], FunctionWrapper), "importing the SDK did not patch it"
instrumentor.uninstrument()
assert not isinstance(vars(Completions)["create"], FunctionWrapper)
"""

NO_PATCH_AFTER_UNINSTRUMENT = """
from wrapt import FunctionWrapper
from llmotel.providers.openai import OpenAIInstrumentor
instrumentor = OpenAIInstrumentor()
instrumentor.instrument()
instrumentor.uninstrument()
from openai.resources.chat.completions.completions import Completions
assert not isinstance(vars(Completions)["create"], FunctionWrapper), "an uninstrumented hook patched the SDK"
"""


@pytest.mark.parametrize("script", [LAZY_PATCHING, NO_PATCH_AFTER_UNINSTRUMENT], ids=["patched-on-import", "inert"])
def test_patches_wait_for_the_application_to_import_the_sdk(script: str) -> None:
    """instrument() never imports an SDK (startup stays fast with many installed); the import patches it."""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def run_example_app(server, **environment: str) -> str:
    """examples/chat_app.py, unmodified, under opentelemetry-instrument with spans printed to stdout."""
    env = {
        **os.environ,
        "OPENAI_BASE_URL": server.openai_base_url,
        "OPENAI_API_KEY": "standin-key",
        "ANTHROPIC_BASE_URL": server.anthropic_base_url,
        "ANTHROPIC_API_KEY": "standin-key",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "",
        **environment,
    }
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    result = subprocess.run(
        [str(instrument), sys.executable, str(ROOT / "examples" / "chat_app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_opentelemetry_instrument_zero_code(server) -> None:
    """One span per call, including anthropic's (the SDK's own span is off)."""
    stdout = run_example_app(server, OTEL_SERVICE_NAME="zero-code-test")
    spans = _console_spans(stdout)
    names = [span["name"] for span in spans]
    assert names.count(f"chat {GPT}") == 3
    assert names.count("chat claude-haiku-4-5") == 2
    assert "anthropic.messages.create" not in names
    failed = [s for s in spans if s["name"] == "chat standin-error-429"]
    assert failed[0]["attributes"]["error.type"] == "openai.RateLimitError"
    assert "standin-key" not in stdout


def test_disabled_by_unique_name(server) -> None:
    stdout = run_example_app(server, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="llmotel_openai")
    names = [span["name"] for span in _console_spans(stdout)]
    assert f"chat {GPT}" not in names
    assert names.count("chat claude-haiku-4-5") == 2


def test_internal_failure_never_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch, instrument, openai_client: openai.OpenAI
) -> None:
    """A message shape llmotel's content code can't read: the call still returns the SDK's own result."""
    monkeypatch.setenv("LLMOTEL_RAISE_INTERNAL_ERRORS", "0")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    telemetry = instrument()

    class Unreadable(dict):
        def get(self, *args, **kwargs):
            raise RuntimeError("llmotel must not let this out")

    message = Unreadable(role="user", content="hi")
    completion = openai_client.chat.completions.create(model=GPT, messages=[message])
    assert completion.choices[0].message.content
    span = telemetry.only_span()  # still traced, without the content llmotel could not read
    assert "gen_ai.input.messages" not in span.attributes
    assert span.attributes["gen_ai.response.id"] == completion.id


def _console_spans(stdout: str) -> list[dict]:
    """The JSON objects the console span exporter printed, one per span."""
    spans, depth, start = [], 0, None
    for index, char in enumerate(stdout):
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                candidate = json.loads(stdout[start : index + 1])
                if "context" in candidate and "name" in candidate:
                    spans.append(candidate)
    return spans
