"""`llmotel` command: `llmotel demo` runs the example app instrumented with zero code changes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def _example_app() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / "chat_app.py"
        if candidate.exists():
            return candidate
    raise SystemExit("llmotel demo: examples/chat_app.py not found; run it from a checkout of llmotel")


def demo(exporter: str) -> int:
    """Run examples/chat_app.py under opentelemetry-instrument, against the stand-in unless real keys are set."""
    from llmotel.standin import StandinServer

    env = dict(os.environ)
    env.setdefault("OTEL_SERVICE_NAME", "llmotel-demo")
    env.setdefault("OTEL_TRACES_EXPORTER", exporter)
    env.setdefault("OTEL_METRICS_EXPORTER", "none" if exporter == "console" else exporter)
    env.setdefault("OTEL_LOGS_EXPORTER", "none" if exporter == "console" else exporter)
    with StandinServer() as server:
        for provider, base_url in (("OPENAI", server.openai_base_url), ("ANTHROPIC", server.anthropic_base_url)):
            if not env.get(f"{provider}_API_KEY"):
                env[f"{provider}_BASE_URL"] = base_url
                env[f"{provider}_API_KEY"] = "standin-key"
                print(f"llmotel demo: no {provider}_API_KEY set, using the local stand-in at {base_url}", flush=True)
        instrument = Path(sys.executable).with_name("opentelemetry-instrument")
        command = [str(instrument), sys.executable, str(_example_app())]
        return subprocess.call(command, env=env)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llmotel", description="LLM observability on OpenTelemetry")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="run the instrumented example app (stand-in server by default)")
    demo_parser.add_argument(
        "--exporter", default="console", help="OTEL exporter for the app: console (default) or otlp"
    )
    commands.add_parser("standin", help="serve the stand-in OpenAI/Anthropic API until interrupted")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.exporter)
    from llmotel.standin.__main__ import main as standin_main

    standin_main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
