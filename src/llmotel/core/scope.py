"""Attributes that every LLM span inside a block carries: conversation id and user id (spans only, never metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from llmotel import semconv
from llmotel.core.call import Attributes

_scope: ContextVar[Attributes | None] = ContextVar("llmotel_scope", default=None)


def current_scope() -> Attributes | None:
    return _scope.get()


@contextmanager
def conversation(conversation_id: str | None = None, *, user_id: str | None = None) -> Iterator[None]:
    """Attach a conversation/session id and a user id to every GenAI span started inside the block.

    Nested blocks inherit what they don't override. Works across threads started with `contextvars.copy_context()`
    and across asyncio tasks (which copy the context when created).
    """
    attributes: Attributes = dict(_scope.get() or {})
    if conversation_id is not None:
        attributes[semconv.GEN_AI_CONVERSATION_ID] = conversation_id
    if user_id is not None:
        attributes[semconv.USER_ID] = user_id
    token = _scope.set(attributes)
    try:
        yield
    finally:
        _scope.reset(token)
