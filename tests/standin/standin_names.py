"""Model names the stand-in tests use (a module of its own: `conftest` is not importable by name in a tree of many)."""

# Not on the anthropic SDK's deprecation list, and an alias the stand-in answers with a dated snapshot.
CLAUDE = "claude-haiku-4-5"
CLAUDE_SNAPSHOT = "claude-haiku-4-5-20251001"
GPT = "gpt-4o-mini"
GPT_SNAPSHOT = "gpt-4o-mini-2024-07-18"
