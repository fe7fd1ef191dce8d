#!/usr/bin/env python3
"""Compare llmotel's price table with an upstream price list file.

The upstream file is read from disk (never downloaded here: llmotel runs
air-gapped by default). Its shape is LiteLLM's
``model_prices_and_context_window.json``: a JSON object of model keys, each
with USD-per-token fields such as ``input_cost_per_token``.

For every model name an entry of ``prices.yaml`` matches exactly, the script
looks up the upstream entry of the same provider and compares the price row in
force on ``--at`` (default: today): input, output, cache read, cache write,
the long-context tier, batch, flex and priority prices. Prefix and regex rules
are compared against every upstream key of that provider they match.

Exit status: 0 when everything compared is equal, 1 when a price differs,
2 when an input file is unusable. Prices are compared as exact decimals.

    python pricing/diff_upstream.py path/to/model_prices_and_context_window.json
    python pricing/diff_upstream.py --format json --at 2025-06-01 upstream.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TABLE = Path(__file__).resolve().parent / "prices.yaml"
MTOK = Decimal(1_000_000)
# Upstream per-token floats carry binary noise (2.5e-06 * 1e6 = 2.4999999999999996);
# llmotel prices have at most 9 decimals per MTok, so round to that.
QUANTUM = Decimal("0.000000001")


@dataclass(frozen=True)
class UpstreamProvider:
    """How one llmotel provider (gen_ai.provider.name) appears upstream."""

    litellm_providers: frozenset[str]
    key_prefixes: tuple[str, ...]  # tried in order before the bare model name


# Upstream spells providers its own way; a hosted variant (azure.ai.openai,
# aws.bedrock) is only ever compared with upstream entries of that host.
PROVIDERS: dict[str, UpstreamProvider] = {
    "openai": UpstreamProvider(frozenset({"openai", "text-completion-openai"}), ("", "openai/")),
    "azure.ai.openai": UpstreamProvider(frozenset({"azure"}), ("azure/",)),
    "anthropic": UpstreamProvider(frozenset({"anthropic"}), ("", "anthropic/")),
    "gcp.gemini": UpstreamProvider(frozenset({"gemini"}), ("gemini/",)),
    "gcp.vertex_ai": UpstreamProvider(frozenset({"vertex_ai-language-models", "vertex_ai"}), ("", "vertex_ai/")),
    "aws.bedrock": UpstreamProvider(frozenset({"bedrock", "bedrock_converse"}), ("", "bedrock/")),
    "mistral_ai": UpstreamProvider(frozenset({"mistral"}), ("mistral/",)),
    "cohere": UpstreamProvider(frozenset({"cohere", "cohere_chat"}), ("", "cohere/")),
}

# llmotel rate name -> upstream per-token field (a suffix is added for tiers and modifiers).
RATE_FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
}
# llmotel modifier name -> suffix of the upstream field.
MODIFIER_SUFFIXES = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}


class TableError(Exception):
    """An input file cannot be used; the message names the file and the fix."""


class _DecimalLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no type stubs installed
    """Reads numbers as exact Decimals (2.50 must not become a binary float)."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)))


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _decimal)


@dataclass
class Rates:
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal


@dataclass
class Row:
    effective_from: dt.date
    base: Rates
    tiers: dict[int, Rates]  # above_input_tokens -> rates
    modifiers: dict[str, Rates]  # base rates of each modifier


@dataclass
class Entry:
    id: str
    provider: str
    exact: list[str]
    prefix: list[str]
    regex: list[re.Pattern[str]]
    rows: list[Row]

    def row_at(self, day: dt.date) -> Row | None:
        current = None
        for row in self.rows:  # oldest first, as the table requires
            if row.effective_from <= day:
                current = row
        return current


@dataclass
class Finding:
    entry: str
    upstream_key: str
    field: str
    ours: str
    upstream: str


@dataclass
class Report:
    table_version: str
    at: str
    compared: int = 0
    differences: list[Finding] = field(default_factory=list)
    not_upstream: list[str] = field(default_factory=list)  # "entry: model"
    unknown_providers: list[str] = field(default_factory=list)
    upstream_only: list[str] = field(default_factory=list)  # "provider: key", with --new-models


def _rates(raw: dict[str, Any]) -> Rates:
    inp = Decimal(raw["input"])
    return Rates(
        input=inp,
        output=Decimal(raw["output"]),
        # A missing cache price means cached tokens cost the input price (SCHEMA.md).
        cache_read=Decimal(raw.get("cache_read", inp)),
        cache_write=Decimal(raw.get("cache_write", inp)),
    )


def _scaled(r: Rates, m: Decimal) -> Rates:
    return Rates(r.input * m, r.output * m, r.cache_read * m, r.cache_write * m)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def load_table(path: Path) -> tuple[str, list[Entry]]:
    """Reads prices.yaml. The collector's loader is the validator; this reader
    only needs the shape, and reports a broken one by file and entry."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise TableError(f"{path}: cannot read the price table: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise TableError(f"{path}: not a price table (no models list); see pricing/SCHEMA.md")
    entries = []
    for i, raw in enumerate(doc["models"]):
        try:
            rows = []
            for r in raw["prices"]:
                base = _rates(r)
                tiers = {int(t["above_input_tokens"]): _rates(t) for t in r.get("tiers", [])}
                mods = {}
                for name, m in (r.get("modifiers") or {}).items():
                    mods[name] = _scaled(base, Decimal(m["multiplier"])) if "multiplier" in m else _rates(m)
                rows.append(Row(_day(r["effective_from"]), base, tiers, mods))
            match = raw["match"]
            entries.append(
                Entry(
                    id=str(raw["id"]),
                    provider=str(raw["provider"]),
                    exact=[str(x) for x in match.get("exact", [])],
                    prefix=[str(x) for x in match.get("prefix", [])],
                    regex=[re.compile(f"(?:{x})") for x in match.get("regex", [])],
                    rows=rows,
                )
            )
        except (KeyError, TypeError, ValueError, ArithmeticError, re.error) as exc:
            raise TableError(
                f"{path}: models[{i}] is malformed ({exc!r}); run the collector's loader for the exact line"
            ) from exc
    return str(doc.get("version", "?")), entries


def load_upstream(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TableError(f"{path}: cannot read the upstream price list as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TableError(f"{path}: upstream price list must be a JSON object of model keys")
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def per_mtok(value: Any) -> Decimal:
    """Upstream USD per token -> USD per 1M tokens, as an exact decimal."""
    return (Decimal(str(value)) * MTOK).quantize(QUANTUM).normalize()


def _fmt(d: Decimal) -> str:
    return f"{d.quantize(QUANTUM).normalize():f}"


def _upstream_candidates(
    entry: Entry, spec: UpstreamProvider, upstream: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, str]]:
    """(model name, upstream key) pairs this entry prices, for its provider only."""
    seen = set()
    for name in entry.exact:
        for prefix in spec.key_prefixes:
            key = prefix + name
            if upstream.get(key, {}).get("litellm_provider") in spec.litellm_providers:
                seen.add(key)
                yield name, key
                break
        else:
            yield name, ""
    if not entry.prefix and not entry.regex:
        return
    for key, value in upstream.items():
        if key in seen or value.get("litellm_provider") not in spec.litellm_providers:
            continue
        name = next((key[len(p) :] for p in spec.key_prefixes if p and key.startswith(p)), key)
        if any(name.startswith(p) for p in entry.prefix) or any(r.fullmatch(name) for r in entry.regex):
            yield name, key


def _compare_rates(
    entry: Entry, key: str, label: str, ours: Rates, up: dict[str, Any], suffix: str, report: Report
) -> None:
    for rate, up_field in RATE_FIELDS.items():
        up_value = up.get(up_field + suffix)
        if up_value is None:
            continue
        report.compared += 1
        mine = getattr(ours, rate).quantize(QUANTUM).normalize()
        theirs = per_mtok(up_value)
        if mine != theirs:
            report.differences.append(Finding(entry.id, key, f"{label}{rate}", _fmt(mine), _fmt(theirs)))


_TIER_FIELD = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


# Upstream modes that llmotel prices (token-billed text and embedding calls).
PRICED_MODES = {"chat", "responses", "completion", "embedding"}


def compare(
    version: str,
    entries: Sequence[Entry],
    upstream: dict[str, dict[str, Any]],
    at: dt.date,
    new_models: bool = False,
) -> Report:
    report = Report(table_version=version, at=at.isoformat())
    matched: set[str] = set()
    for entry in entries:
        spec = PROVIDERS.get(entry.provider)
        if spec is None:
            report.unknown_providers.append(f"{entry.id} ({entry.provider})")
            continue
        row = entry.row_at(at)
        if row is None:
            continue
        for name, key in _upstream_candidates(entry, spec, upstream):
            if not key:
                report.not_upstream.append(f"{entry.id}: {name}")
                continue
            matched.add(key)
            up = upstream[key]
            _compare_rates(entry, key, "", row.base, up, "", report)
            for up_field in up:
                m = _TIER_FIELD.match(up_field)
                if not m:
                    continue
                threshold = int(m.group(1)) * 1000
                suffix = f"_above_{m.group(1)}k_tokens"
                tier = row.tiers.get(threshold)
                if tier is None:
                    report.compared += 1
                    report.differences.append(
                        Finding(entry.id, key, f"tier>{threshold}", "no tier", f"input {_fmt(per_mtok(up[up_field]))}")
                    )
                    continue
                _compare_rates(entry, key, f"tier>{threshold}.", tier, up, suffix, report)
            for mod, suffix in MODIFIER_SUFFIXES.items():
                if not any(f + suffix in up for f in RATE_FIELDS.values()):
                    continue
                mine = row.modifiers.get(mod)
                if mine is None:
                    report.compared += 1
                    report.differences.append(Finding(entry.id, key, mod, "no modifier", "priced upstream"))
                    continue
                _compare_rates(entry, key, f"{mod}.", mine, up, suffix, report)
    if new_models:
        report.upstream_only = _upstream_only(entries, upstream, matched, at)
    return report


def _upstream_only(
    entries: Sequence[Entry], upstream: dict[str, dict[str, Any]], matched: set[str], at: dt.date
) -> list[str]:
    """Current upstream models of the providers this table covers that no entry prices: candidates to add."""
    covered = {e.provider: PROVIDERS[e.provider] for e in entries if e.provider in PROVIDERS}
    out = []
    for key, value in upstream.items():
        if key in matched or value.get("mode") not in PRICED_MODES:
            continue
        retired = value.get("deprecation_date")
        if retired and str(retired) <= at.isoformat():
            continue
        for provider, spec in covered.items():
            if value.get("litellm_provider") in spec.litellm_providers:
                out.append(f"{provider}: {key}")
    return sorted(out)


def render_text(report: Report) -> str:
    lines = [f"price table {report.table_version}, rows in force on {report.at}: {report.compared} prices compared"]
    if report.differences:
        lines.append(f"{len(report.differences)} difference(s) (ours -> upstream, USD per 1M tokens):")
        lines += [f"  {d.entry} [{d.upstream_key}] {d.field}: {d.ours} -> {d.upstream}" for d in report.differences]
    else:
        lines.append("no differences")
    if report.not_upstream:
        lines.append(f"{len(report.not_upstream)} model name(s) not found upstream:")
        lines += [f"  {n}" for n in report.not_upstream]
    if report.unknown_providers:
        lines.append("entries of providers this script cannot map upstream: " + ", ".join(report.unknown_providers))
    if report.upstream_only:
        lines.append(f"{len(report.upstream_only)} current upstream model(s) this table does not price:")
        lines += [f"  {n}" for n in report.upstream_only]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "upstream", type=Path, help="upstream price list (LiteLLM model_prices_and_context_window.json shape)"
    )
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="llmotel price table (default: %(default)s)")
    parser.add_argument(
        "--at",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="compare the rows in force on this day (YYYY-MM-DD)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--new-models",
        action="store_true",
        help="also list current upstream models of the covered providers that no entry prices",
    )
    args = parser.parse_args(argv)
    try:
        version, entries = load_table(args.table)
        upstream = load_upstream(args.upstream)
    except TableError as exc:
        print(f"diff_upstream: {exc}", file=sys.stderr)
        return 2
    report = compare(version, entries, upstream, args.at, new_models=args.new_models)
    print(json.dumps(asdict(report), indent=2) if args.format == "json" else render_text(report))
    return 1 if report.differences else 0


if __name__ == "__main__":
    sys.exit(main())
