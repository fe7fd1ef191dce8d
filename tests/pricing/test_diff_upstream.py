"""pricing/diff_upstream.py against small fixtures (no network)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "pricing" / "diff_upstream.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLE = FIXTURES / "prices.yaml"
UPSTREAM = FIXTURES / "upstream.json"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diff_upstream", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["diff_upstream"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


du = _load_script()


def run(*args: str) -> tuple[int, str, str]:
    """Runs the script as a user would, in a fresh interpreter."""
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def findings(report: object) -> set[tuple[str, str, str, str, str]]:
    return {(d.entry, d.upstream_key, d.field, d.ours, d.upstream) for d in report.differences}  # type: ignore[attr-defined]


def test_fixture_differences_are_exactly_the_planted_ones() -> None:
    version, entries = du.load_table(TABLE)
    report = du.compare(version, entries, du.load_upstream(UPSTREAM), du.dt.date(2026, 11, 1))
    assert findings(report) == {
        ("openai/o3", "o3", "batch", "no modifier", "priced upstream"),
        ("azure.ai.openai/gpt-4o", "azure/gpt-4o", "input", "2.5", "2.75"),
        ("azure.ai.openai/gpt-4o", "azure/gpt-4o", "output", "10", "11"),
        ("gcp.gemini/gemini-2.5-pro", "gemini/gemini-2.5-pro", "tier>200000", "no tier", "input 2.5"),
        ("aws.bedrock/nova", "us.amazon.nova-pro-v1:0", "output", "3.2", "3.3"),
    }
    assert report.not_upstream == ["openai/gpt-4o: gpt-4o-2099-01-01"]
    assert report.unknown_providers == ["ollama/llama (ollama)"]
    # gpt-4o base, cache, batch and priority; anthropic tier with cache write; both nova keys; ...
    assert report.compared == 33


def test_hosted_variants_are_only_compared_with_their_own_host() -> None:
    version, entries = du.load_table(TABLE)
    report = du.compare(version, entries, du.load_upstream(UPSTREAM), du.dt.date(2026, 11, 1))
    keys_by_entry: dict[str, set[str]] = {}
    for d in report.differences:
        keys_by_entry.setdefault(d.entry, set()).add(d.upstream_key)
    # openai/gpt-4o matches upstream exactly; the azure price difference lands on the azure entry only,
    # and the Vertex AI row (9/90) is never compared with the Gemini API entry.
    assert "openai/gpt-4o" not in keys_by_entry
    assert keys_by_entry["azure.ai.openai/gpt-4o"] == {"azure/gpt-4o"}
    assert keys_by_entry["gcp.gemini/gemini-2.5-pro"] == {"gemini/gemini-2.5-pro"}


def test_rows_in_force_on_the_given_day_are_compared() -> None:
    code, out, _ = run("--table", str(TABLE), "--at", "2025-05-01", str(UPSTREAM))
    assert code == 1
    # Before 2025-06-10 our o3 row is $10/$40 while upstream lists today's $2/$8.
    assert "openai/o3 [o3] input: 10 -> 2" in out
    assert "openai/o3 [o3] output: 40 -> 8" in out


def test_equal_prices_exit_zero(tmp_path: Path) -> None:
    upstream = json.loads(UPSTREAM.read_text())
    same = {"gpt-4o": upstream["gpt-4o"], "claude-sonnet-4-5-20250929": upstream["claude-sonnet-4-5-20250929"]}
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(same))
    code, out, err = run("--table", str(TABLE), "--at", "2026-11-01", str(path))
    assert (code, err) == (0, "")
    assert "no differences" in out
    assert "16 prices compared" in out  # gpt-4o: 3 base + 2 batch + 3 priority; claude: 4 base + 4 tier


def test_json_output() -> None:
    code, out, _ = run("--table", str(TABLE), "--at", "2026-11-01", "--format", "json", str(UPSTREAM))
    assert code == 1
    report = json.loads(out)
    assert report["table_version"] == "fixture-1"
    assert report["at"] == "2026-11-01"
    assert {"entry": "aws.bedrock/nova", "upstream_key": "us.amazon.nova-pro-v1:0", "field": "output", "ours": "3.2",
            "upstream": "3.3"} in report["differences"]  # fmt: skip


@pytest.mark.parametrize(
    ("per_token", "per_mtok"),
    [(2.5e-06, "2.5"), (3.75e-06, "3.75"), (1.25e-07, "0.125"), (2.125e-06, "2.125"), (3.75e-08, "0.0375"), (0, "0")],
)
def test_per_token_floats_become_exact_mtok_decimals(per_token: float, per_mtok: str) -> None:
    assert du.per_mtok(per_token) == Decimal(per_mtok)


def test_unreadable_upstream_is_reported_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    code, out, err = run("--table", str(TABLE), str(bad))
    assert (code, out) == (2, "")
    assert err.startswith(f"diff_upstream: {bad}: cannot read the upstream price list as JSON")
    code, _, err = run("--table", str(TABLE), str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in err


def test_malformed_table_is_reported_by_entry(tmp_path: Path) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text(TABLE.read_text().replace("input: 5.00, output: 15.00", "output: 15.00", 1))
    code, _, err = run("--table", str(table), str(UPSTREAM))
    assert code == 2
    assert f"{table}: models[0] is malformed" in err


def test_shipped_table_is_readable_and_covers_the_major_providers() -> None:
    version, entries = du.load_table(du.DEFAULT_TABLE)
    assert version
    providers = {e.provider for e in entries}
    assert {"openai", "anthropic", "gcp.gemini", "aws.bedrock", "mistral_ai", "cohere", "azure.ai.openai"} <= providers
    assert providers <= set(du.PROVIDERS), "every shipped provider must be mappable upstream"
    gpt4o = next(e for e in entries if e.id == "openai/gpt-4o-2024-05-13")
    row = gpt4o.row_at(du.dt.date(2026, 11, 1))
    assert (row.base.input, row.base.output) == (Decimal("5.00"), Decimal("15.00"))


def test_new_models_lists_unpriced_current_upstream_models(tmp_path: Path) -> None:
    upstream = json.loads(UPSTREAM.read_text())
    upstream["gpt-9"] = {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06}
    upstream["gpt-3-retired"] = {"litellm_provider": "openai", "mode": "chat", "deprecation_date": "2026-01-01"}
    upstream["dall-e-9"] = {"litellm_provider": "openai", "mode": "image_generation"}
    upstream["groq/llama"] = {"litellm_provider": "groq", "mode": "chat"}  # a provider the table does not cover
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(upstream))
    code, out, _ = run("--table", str(TABLE), "--at", "2026-11-01", "--new-models", "--format", "json", str(path))
    assert code == 1
    # nova-lite is upstream but our fixture's nova rule only covers nova-pro; vertex's gemini-2.5-pro is
    # a provider-hosted variant the fixture has no gcp.vertex_ai entry for, so it is not listed either.
    assert json.loads(out)["upstream_only"] == ["aws.bedrock: amazon.nova-lite-v1:0", "openai: gpt-9"]
    code, out, _ = run("--table", str(TABLE), "--at", "2026-11-01", str(path))
    assert "does not price" not in out
