"""Names, prompts and helpers the stand-in tests share (a module of its own: `conftest` is not importable by name in
a tree of many)."""

import os
from pathlib import Path

from anthropic.types import MessageParam
from openai.types.chat import ChatCompletionMessageParam

import llmotel

# Not on the anthropic SDK's deprecation list, and an alias the stand-in answers with a dated snapshot.
CLAUDE = "claude-haiku-4-5"
CLAUDE_SNAPSHOT = "claude-haiku-4-5-20251001"
GPT = "gpt-4o-mini"
GPT_SNAPSHOT = "gpt-4o-mini-2024-07-18"

# The same one-line prompt, typed for each client.
CHAT_MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello"}]
CLAUDE_MESSAGES: list[MessageParam] = [{"role": "user", "content": "Say hello"}]


def cli_environment() -> dict[str, str]:
    """The environment for `python -m llmotel.standin`, finding llmotel where this process found it."""
    source_root = str(Path(llmotel.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))}
