"""llmotel: LLM observability on OpenTelemetry."""
