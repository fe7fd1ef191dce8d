"""python -m llmotel.standin [--port N]: serve the stand-in on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import threading

from .server import StandinServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m llmotel.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    arguments = parser.parse_args(argv)
    server = StandinServer(port=arguments.port)
    try:
        server.start()
    except OSError as err:
        parser.exit(
            2, f"{parser.prog}: --port {arguments.port}: {err.strerror}; pick another port, or 0 for a free one\n"
        )
    try:
        print(f"OPENAI_BASE_URL={server.openai_base_url}", flush=True)
        print(f"ANTHROPIC_BASE_URL={server.anthropic_base_url}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
