"""Which tools the stand-in calls, and with what arguments.

A tool is called when tools are given, tool choice is not "none", and either the tool choice forces it or the
last user message mentions the tool's name. A turn that answers tool results gets text, unless forced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .exchange import InvalidRequest
from .schema_sample import sample_json

# Normalized tool choice: "auto", "none", "required" (OpenAI) / "any" (Anthropic) or the name of one tool.
AUTO = "auto"
NONE = "none"
REQUIRED = "required"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str


def tools_to_call(
    tools: Sequence[ToolSpec], choice: str, last_user_text: str, answers_tool_result: bool
) -> list[ToolCall]:
    if not tools or choice == NONE:
        return []
    if choice not in (AUTO, REQUIRED):
        named = [tool for tool in tools if tool.name == choice]
        if not named:
            raise InvalidRequest(f"tool_choice names {choice!r}, which is not among the tools.", "tool_choice")
        return [_call(named[0])]
    mentioned = [] if answers_tool_result else [tool for tool in tools if tool.name in last_user_text]
    if not mentioned and choice == REQUIRED:
        mentioned = [tools[0]]
    return [_call(tool) for tool in mentioned]


def _call(tool: ToolSpec) -> ToolCall:
    return ToolCall(tool.name, json.dumps(sample_json(tool.parameters)))
