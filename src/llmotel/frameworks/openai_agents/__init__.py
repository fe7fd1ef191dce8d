"""The OpenAI Agents SDK (`openai-agents`): workflows, agent runs, tool calls and handoffs as GenAI spans.

Runs become `invoke_workflow {workflow}` > `invoke_agent {agent}` > `execute_tool {tool}` (a handoff is the
`execute_tool` of its `transfer_to_<agent>` tool). Model calls are left to the provider instrumentations (openai,
LiteLLM...), whose spans nest under the agent that made them: one logical call stays one GenAI span.

The SDK's own exporters (by default, to OpenAI's trace backend) are left as the user configured them; llmotel only
adds its processor, which `set_trace_processors` keeps while instrumented. As with the providers, nothing is patched
before the application imports the SDK.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.trace import Tracer, get_tracer

from llmotel import semconv
from llmotel.config import Settings
from llmotel.core.patching import LazyPatches, ready
from llmotel.version import __version__

# The SDK can add a trace processor but not remove one: llmotel's stays registered, inert between instrumentations.
_processor: Any = None


class OpenAIAgentsInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    instruments = ("openai-agents >= 0.24, < 1",)

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        schema = "https://opentelemetry.io/schemas/" + semconv.STABLE_VERSION
        tracer = get_tracer("llmotel.openai_agents", __version__, kwargs.get("tracer_provider"), schema_url=schema)
        settings = kwargs.get("settings") or Settings.from_env()
        self._patches = LazyPatches()
        # all of `agents`' submodules are loaded once `agents` is
        self._patches.when_imported("agents", lambda _agents: self._patch(tracer, settings))

    def _patch(self, tracer: Tracer, settings: Settings) -> None:
        global _processor
        from llmotel.frameworks.openai_agents.processor import OTelProcessor, patches

        _processor = _processor or OTelProcessor()
        _processor.start(tracer, settings)
        for module, attribute, wrapper in patches(_processor):
            self._patches.wrap(module, attribute, ready(wrapper))  # a version without one: reported, the rest work

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.undo()
        if _processor is not None:
            _processor.stop()
