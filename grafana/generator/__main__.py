"""Writes grafana/dashboards/*.json from the dashboards defined in dashboards.py.

    python grafana/generator [--check] [--timezone Asia/Seoul] [--krw-per-usd 1400]

--check regenerates in memory and fails when a committed JSON file differs (CI runs it), so the
JSON in the repository is always what the code says.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

from dashboards import DASHBOARDS, Options
from grafana_foundation_sdk.cog.encoder import JSONEncoder

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "dashboards"


def render(name: str, options: Options) -> str:
    built = DASHBOARDS[name](options).build()
    # Stable, unique panel ids: Grafana keys links and panel state by them.
    for panel_id, panel in enumerate(built.panels or [], start=1):
        panel.id_val = panel_id
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed JSON is not what the code generates"
    )
    parser.add_argument(
        "--timezone", default=Options.timezone, help='dashboard time zone, e.g. "Asia/Seoul" (default: browser)'
    )
    parser.add_argument("--krw-per-usd", type=float, default=Options.krw_per_usd, help="default KRW per USD rate")
    args = parser.parse_args()
    options = Options(timezone=args.timezone, krw_per_usd=args.krw_per_usd)

    stale: list[str] = []
    for name in DASHBOARDS:
        path = OUTPUT_DIR / f"llmotel-{name}.json"
        rendered = render(name, options)
        current = path.read_text() if path.exists() else ""
        if args.check:
            if current != rendered:
                stale.append(path.name)
                sys.stdout.writelines(
                    difflib.unified_diff(
                        current.splitlines(True), rendered.splitlines(True), str(path), "generated", n=2
                    )
                )
        elif current != rendered:
            OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered)
            print(f"wrote {path}")
    if stale:
        print(f"stale generated dashboards: {', '.join(stale)}; run `make grafana-dashboards` and commit the result")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
