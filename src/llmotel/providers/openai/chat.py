"""chat.completions.create / parse: ChatCompletion and its stream of ChatCompletionChunk.

The translation is shared with the other OpenAI-compatible SDKs (providers/openai_compatible.py); what is OpenAI's
own here: Azure as its own provider, the service tier and fingerprint, `openai.api.type`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel.core.call import Call, Request
from llmotel.providers.openai.common import chat_request, record_service
from llmotel.providers.openai_compatible import PARAMETERS, CompatibleChat, chat_attributes, output_type, record_usage


class ChatCompletions(CompatibleChat):
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> Request:
        attributes = chat_attributes(kwargs, PARAMETERS)
        output = output_type(kwargs.get("response_format"))
        return chat_request(instance, kwargs, attributes, "chat_completions", output)

    def record_extras(self, call: Call, response: Any) -> None:
        record_service(call, response)


__all__ = ["PARAMETERS", "ChatCompletions", "record_usage"]
