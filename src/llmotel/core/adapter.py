"""What a provider supplies: one `Operation` per SDK method kind, translating SDK objects into the call record.

An adapter never touches tracers, meters or loggers; the core does all of that from the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from llmotel.core.call import Call, InputContent, Request


class Operation:
    """Translation of one SDK method (e.g. `chat.completions.create`) into a call record."""

    # The SDK method's leading positional parameters, for SDKs called as `chat("llama3", messages)`: the core names
    # positional arguments by them before `request` / `input_content` see the keyword arguments.
    positional: tuple[str, ...] = ()

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        """The request fields, read from the SDK method's arguments before it runs."""
        raise NotImplementedError

    def input_content(self, kwargs: Mapping[str, Any]) -> InputContent:
        """The request content in semconv form. Called only when content capture is on."""
        return InputContent()

    def response(self, call: Call, result: Any) -> None:
        """Fill the record from a complete (non-stream) result; set `call.output_messages` if capturing."""

    def is_stream(self, request: Request, result: Any) -> bool:
        """Whether `result` is a stream the core must proxy."""
        return request.stream

    def chunk(self, call: Call, chunk: Any) -> None:
        """Fill the record from one stream chunk. Runs per chunk: keep it cheap."""

    def stream_end(self, call: Call) -> None:
        """Finish the record when a stream ends (build output content from `call.stream_state`)."""

    def wrap_stream(self, call: Call, result: Any, proxy: Callable[[Any], Any]) -> Any:
        """What the caller gets back for a stream result: the proxy of `result`, or, for an SDK returning its stream
        inside a container (botocore's response dict), the container with its stream replaced by `proxy(stream)`."""
        return proxy(result)


class Router:
    """One SDK method serving many APIs (botocore's `BaseClient._make_api_call` runs every AWS operation): picks
    the Operation translating a call, or None to pass the call through untouched. Runs on every call: keep it cheap."""

    def route(self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Operation | None:
        raise NotImplementedError


def named_arguments(positional: tuple[str, ...], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The call's arguments by name: positional ones named by `positional`, keyword ones as given."""
    return {**dict(zip(positional, args, strict=False)), **kwargs}


_PRIMITIVES = (str, bool, int, float)

Parameters = Mapping[str, str]  # SDK keyword argument -> semconv attribute


def copy_parameters(kwargs: Mapping[str, Any], parameters: Parameters) -> dict[str, Any]:
    """Request parameters as span attributes, skipping the SDKs' "not given" sentinels and non-primitive values."""
    attributes: dict[str, Any] = {}
    for keyword, value in kwargs.items():  # a call passes a few keywords; the tables list every parameter
        attribute = parameters.get(keyword)
        if attribute is None:
            continue
        if isinstance(value, _PRIMITIVES):
            attributes[attribute] = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
            attributes[attribute] = list(value)
    return attributes
