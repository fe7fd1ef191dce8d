"""SDK-side redaction of personal data and secrets in captured LLM content.

    redactor = Redactor(RedactionConfig.from_env(os.environ))
    counts = RedactionCounts()
    messages = redactor.redact_json(messages, counts)
    span.set_attribute("llmotel.redaction.count", counts.total)

See README.md beside this file for what is covered and what is not.
"""

from llmotel.privacy.config import BUILTIN_ENTITIES, PRESETS, RedactionConfig
from llmotel.privacy.counts import RedactionCounts
from llmotel.privacy.findings import Detector, Finding
from llmotel.privacy.redactor import Redactor

__all__ = [
    "BUILTIN_ENTITIES",
    "PRESETS",
    "Detector",
    "Finding",
    "RedactionConfig",
    "RedactionCounts",
    "Redactor",
]
