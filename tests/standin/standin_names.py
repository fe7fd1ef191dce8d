"""Model names and prompts the stand-in tests share (a module of its own: `conftest` is not importable by name in a
tree of many)."""

from anthropic.types import MessageParam
from openai.types.chat import ChatCompletionMessageParam

# Not on the anthropic SDK's deprecation list, and an alias the stand-in answers with a dated snapshot.
CLAUDE = "claude-haiku-4-5"
CLAUDE_SNAPSHOT = "claude-haiku-4-5-20251001"
GPT = "gpt-4o-mini"
GPT_SNAPSHOT = "gpt-4o-mini-2024-07-18"

# The same one-line prompt, typed for each client.
CHAT_MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello"}]
CLAUDE_MESSAGES: list[MessageParam] = [{"role": "user", "content": "Say hello"}]
