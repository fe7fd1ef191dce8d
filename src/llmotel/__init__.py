"""llmotel: LLM observability on OpenTelemetry.

Zero code changes: `opentelemetry-instrument python app.py` (entry points `llmotel_openai`, `llmotel_anthropic`).
In code: `llmotel.setup()`; manual spans: `invoke_workflow`, `invoke_agent`, `execute_tool`; `conversation()`.
"""

from llmotel.configure import setup
from llmotel.core.scope import conversation
from llmotel.tracing import execute_tool, invoke_agent, invoke_workflow
from llmotel.version import __version__

__all__ = ["__version__", "conversation", "execute_tool", "invoke_agent", "invoke_workflow", "setup"]
