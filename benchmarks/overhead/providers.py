"""The per-provider overhead cases: one plain call of each SDK over an in-memory transport, and a generic floor.

Each case is an SDK client whose HTTP library (httpx or httpx2) gets a transport replaying the stand-in's reply to
that SDK's request (rendered once, on the first request), so the server side costs the same in every variant. The
floor is the least any instrumentation can do for the call: one CLIENT span with the request attributes, then the
response model, id, finish reasons and token counts, the duration histogram and the two token-usage records,
written against the OTel SDK with no adapter layer and no error handling. OpenAI runs here too, as the reference
measured in the same rounds.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider
from wrapt import wrap_function_wrapper

from llmotel import semconv
from llmotel.standin.routing import respond

HOST = "standin.invalid"
BASE_URL = f"http://{HOST}"
FLOOR_SCOPE = "bench.floor"
PROMPT = "Say hello to the benchmark."


@dataclass(frozen=True)
class Reading:
    """What the floor reads from a response."""

    model: str
    response_id: str | None
    finish_reason: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ProviderCase:
    name: str
    provider: str  # gen_ai.provider.name
    operation: str
    model: str
    http: str  # the SDK's HTTP library: "httpx" or "httpx2"
    client: Callable[[Any], Any]  # transport -> client
    call: Callable[[Any, str], Any]  # (client, model) -> the response of one plain call
    read: Callable[[Any], Reading]  # the floor's reading of that response
    target: tuple[str, str]  # (module, "Class.method") the floor wraps: the method the call goes through
    instrumentor: str  # "module:Class" of llmotel's instrumentor


def canned_transport(http: ModuleType) -> Any:
    """A transport of `http` (httpx or httpx2) answering each path with the stand-in's reply to its first request."""

    class CannedTransport(http.BaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self._replies: dict[tuple[str, str], Any] = {}

        def handle_request(self, request: Any) -> Any:
            content = request.read()  # the SDK serialised the body: a server reads it
            key = (request.method, request.url.raw_path.decode())
            reply = self._replies.get(key)
            if reply is None:
                headers = {name.lower(): value for name, value in request.headers.items()}
                reply = respond(request.method, key[1], content, headers)
                if reply.status != 200 or not isinstance(reply.body, bytes):
                    raise RuntimeError(f"the stand-in refused the benchmark request {key}: {reply.status}")
                self._replies[key] = reply
            return http.Response(reply.status, headers=reply.headers, content=reply.body)

    return CannedTransport()


class GenericFloor:
    """The floor for one case: wraps the case's SDK method with the minimal span and metric work."""

    def __init__(self, case: ProviderCase, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self._case = case
        self._tracer = tracer_provider.get_tracer(FLOOR_SCOPE)
        meter = meter_provider.get_meter(FLOOR_SCOPE)
        duration, usage = semconv.STABLE.CLIENT_OPERATION_DURATION, semconv.STABLE.CLIENT_TOKEN_USAGE
        assert duration and usage
        self._duration = meter.create_histogram(
            duration.name, unit=duration.unit, explicit_bucket_boundaries_advisory=list(duration.buckets or ())
        )
        self._token_usage = meter.create_histogram(
            usage.name, unit=usage.unit, explicit_bucket_boundaries_advisory=list(usage.buckets or ())
        )

    def instrument(self) -> None:
        module, attribute = self._case.target
        wrap_function_wrapper(module, attribute, self._call)

    def _call(self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        case = self._case
        model = kwargs.get("model") or case.model
        attributes: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: case.operation,
            semconv.GEN_AI_PROVIDER_NAME: case.provider,
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.SERVER_ADDRESS: HOST,
            semconv.SERVER_PORT: 80,
        }
        metric_attributes = dict(attributes)
        span = self._tracer.start_span(f"{case.operation} {model}", kind=SpanKind.CLIENT, attributes=attributes)
        started = time.perf_counter()
        result = wrapped(*args, **kwargs)
        duration = time.perf_counter() - started
        reading = case.read(result)
        response_model = reading.model or model
        metric_attributes[semconv.GEN_AI_RESPONSE_MODEL] = response_model
        span.set_attributes(
            {
                semconv.GEN_AI_RESPONSE_MODEL: response_model,
                semconv.GEN_AI_RESPONSE_ID: reading.response_id or "",
                semconv.GEN_AI_RESPONSE_FINISH_REASONS: [reading.finish_reason],
                semconv.GEN_AI_USAGE_INPUT_TOKENS: reading.input_tokens,
                semconv.GEN_AI_USAGE_OUTPUT_TOKENS: reading.output_tokens,
            }
        )
        span.end()
        self._duration.record(duration, metric_attributes)
        self._token_usage.record(reading.input_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "input"})
        self._token_usage.record(reading.output_tokens, {**metric_attributes, semconv.GEN_AI_TOKEN_TYPE: "output"})
        return result


def instrumentor_of(case: ProviderCase) -> BaseInstrumentor:
    module, _, name = case.instrumentor.partition(":")
    return getattr(importlib.import_module(module), name)()


def http_module(case: ProviderCase) -> ModuleType:
    return importlib.import_module(case.http)


# -- the cases ---------------------------------------------------------------------------------------------------------

_CHAT = [{"role": "user", "content": PROMPT}]


def _openai_reading(completion: Any) -> Reading:
    usage = completion.usage
    reason = completion.choices[0].finish_reason
    return Reading(completion.model, completion.id, str(reason), usage.prompt_tokens, usage.completion_tokens)


def _openai_client(transport: Any) -> Any:
    import httpx2
    import openai

    return openai.OpenAI(base_url=BASE_URL + "/v1", api_key="bench", http_client=httpx2.Client(transport=transport))


def _groq_client(transport: Any) -> Any:
    import groq
    import httpx

    return groq.Groq(base_url=BASE_URL, api_key="bench", http_client=httpx.Client(transport=transport))


def _chat_completion(client: Any, model: str) -> Any:
    return client.chat.completions.create(model=model, messages=_CHAT, max_tokens=256, temperature=0.2)


def _mistral_client(transport: Any) -> Any:
    import httpx2
    from mistralai.client import Mistral

    return Mistral(api_key="bench", server_url=BASE_URL, client=httpx2.Client(transport=transport))


def _mistral_call(client: Any, model: str) -> Any:
    return client.chat.complete(model=model, messages=_CHAT, max_tokens=256, temperature=0.2)


def _cohere_client(transport: Any) -> Any:
    import cohere
    import httpx

    return cohere.ClientV2(api_key="bench", base_url=BASE_URL, httpx_client=httpx.Client(transport=transport))


def _cohere_call(client: Any, model: str) -> Any:
    return client.chat(model=model, messages=_CHAT, max_tokens=256, temperature=0.2)


def _cohere_reading(raw: Any) -> Reading:
    response = raw.data  # the raw client's HttpResponse: ClientV2.chat goes through RawV2Client.chat
    tokens = response.usage.tokens
    # a v2 chat response names no model: the floor reports the requested one
    return Reading("", response.id, str(response.finish_reason), int(tokens.input_tokens), int(tokens.output_tokens))


def _ollama_client(transport: Any) -> Any:
    import ollama

    return ollama.Client(host=BASE_URL, transport=transport)


def _ollama_call(client: Any, model: str) -> Any:
    return client.chat(model=model, messages=_CHAT, options={"num_predict": 256, "temperature": 0.2})


def _ollama_reading(response: Any) -> Reading:
    return Reading(response.model, None, str(response.done_reason), response.prompt_eval_count, response.eval_count)


def _gemini_client(transport: Any) -> Any:
    import httpx2
    from google import genai

    options = genai.types.HttpOptions(base_url=BASE_URL + "/gemini", httpx_client=httpx2.Client(transport=transport))
    return genai.Client(api_key="bench", http_options=options)


def _gemini_call(client: Any, model: str) -> Any:
    config = {"max_output_tokens": 256, "temperature": 0.2}
    return client.models.generate_content(model=model, contents=PROMPT, config=config)


def _gemini_reading(response: Any) -> Reading:
    usage = response.usage_metadata
    reason = response.candidates[0].finish_reason
    return Reading(
        response.model_version,
        response.response_id,
        str(reason),
        usage.prompt_token_count,
        usage.candidates_token_count,
    )


CASES = (
    ProviderCase(
        "openai",
        "openai",
        "chat",
        "gpt-4o-mini",
        "httpx2",
        _openai_client,
        _chat_completion,
        _openai_reading,
        ("openai.resources.chat.completions.completions", "Completions.create"),
        "llmotel.providers.openai:OpenAIInstrumentor",
    ),
    ProviderCase(
        "groq",
        "groq",
        "chat",
        "llama-3.3-70b-versatile",
        "httpx",
        _groq_client,
        _chat_completion,
        _openai_reading,
        ("groq.resources.chat.completions", "Completions.create"),
        "llmotel.providers.groq:GroqInstrumentor",
    ),
    ProviderCase(
        "mistralai",
        "mistral_ai",
        "chat",
        "mistral-small-latest",
        "httpx2",
        _mistral_client,
        _mistral_call,
        _openai_reading,
        ("mistralai.client.chat", "Chat.complete"),
        "llmotel.providers.mistralai:MistralAIInstrumentor",
    ),
    ProviderCase(
        "cohere",
        "cohere",
        "chat",
        "command-a-03-2025",
        "httpx",
        _cohere_client,
        _cohere_call,
        _cohere_reading,
        ("cohere.v2.raw_client", "RawV2Client.chat"),
        "llmotel.providers.cohere:CohereInstrumentor",
    ),
    ProviderCase(
        "ollama",
        "ollama",
        "chat",
        "llama3.2",
        "httpx",
        _ollama_client,
        _ollama_call,
        _ollama_reading,
        ("ollama._client", "Client.chat"),
        "llmotel.providers.ollama:OllamaInstrumentor",
    ),
    ProviderCase(
        "google-genai",
        "gcp.gemini",
        "generate_content",
        "gemini-2.5-flash",
        "httpx2",
        _gemini_client,
        _gemini_call,
        _gemini_reading,
        ("google.genai.models", "Models.generate_content"),
        "llmotel.providers.google_genai:GoogleGenAIInstrumentor",
    ),
)
