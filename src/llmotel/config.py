"""Settings read from the environment (OTEL_* first, then llmotel's own LLMOTEL_* for what OTel lacks).

Every setting is validated at start-up; a bad value raises ValueError naming the variable and the accepted values.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass

from llmotel import semconv
from llmotel.privacy import RedactionConfig, Redactor


class ContentCapture(enum.Enum):
    """Where prompt and completion content goes. Nothing is captured unless the user opts in."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self in (ContentCapture.SPAN_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentCapture.EVENT_ONLY, ContentCapture.SPAN_AND_EVENT)


CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
EMIT_EVENT_ENV = "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT"
STABILITY_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN"
MAX_BYTES_ENV = "LLMOTEL_CONTENT_MAX_BYTES"
DEFAULT_CONTENT_MAX_BYTES = 16384


@dataclass(frozen=True)
class Settings:
    capture: ContentCapture
    content_max_bytes: int
    names: semconv.Names
    latest_semconv: bool
    redactor: Redactor | None  # applied to captured content; None when capture or redaction is off

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        latest = "gen_ai_latest_experimental" in {token.strip() for token in env.get(STABILITY_ENV, "").split(",")}
        capture = _parse_capture(env)
        redactor = Redactor(RedactionConfig.from_env(env))  # validated even when capture is off
        return cls(
            capture=capture,
            content_max_bytes=_parse_positive_int(env, MAX_BYTES_ENV, DEFAULT_CONTENT_MAX_BYTES),
            names=semconv.LATEST if latest else semconv.STABLE,
            latest_semconv=latest,
            redactor=redactor if capture is not ContentCapture.NO_CONTENT and redactor.enabled else None,
        )


def _parse_capture(env: Mapping[str, str]) -> ContentCapture:
    raw = env.get(CAPTURE_ENV, "").strip()
    emit_event = env.get(EMIT_EVENT_ENV, "").strip().lower() == "true"
    if raw == "" or raw.lower() == "false":
        return ContentCapture.NO_CONTENT
    if raw.lower() == "true":  # the legacy boolean form: content on spans, and on events when asked
        return ContentCapture.SPAN_AND_EVENT if emit_event else ContentCapture.SPAN_ONLY
    try:
        return ContentCapture(raw.upper())
    except ValueError:
        accepted = ", ".join(mode.value for mode in ContentCapture)
        raise ValueError(
            f"{CAPTURE_ENV}={raw!r} is not valid: use one of {accepted} (or the legacy true/false)"
        ) from None


def _parse_positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"{name}={raw!r} is not valid: use a positive whole number of bytes (default {default})")
    return int(raw)
