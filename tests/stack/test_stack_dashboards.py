"""The generated Grafana dashboards: static checks of the JSON (what grafana/dashboard-linter
would check, since it cannot be built here), and every panel query executed against the real
Prometheus and Loki holding the end-to-end test's data.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from backends import Loki, Prometheus, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILES = sorted((REPO_ROOT / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((REPO_ROOT / "grafana" / "rules").glob("*.rules.yml"))
PROVISIONED_UIDS = {"prometheus": "llmotel-prometheus", "loki": "llmotel-loki", "tempo": "llmotel-tempo"}
TEMPO_UNAVAILABLE = (
    "needs Tempo, which cannot be built here: the Go module proxy refuses every github.com/grafana/tempo "
    "version (403); the TraceQL panels are exercised only under docker-compose"
)
# What Grafana substitutes for its built-in variables, given the 15 s Prometheus interval
# (provisioning timeInterval): $__rate_interval = max(4 x 15 s, step + 15 s) = 1m here.
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__auto": "1m"}
RANGE_WINDOW_S = 15 * 60


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    datasource: str  # prometheus | loki | tempo
    expr: str
    instant: bool
    time_from: str | None


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def _queries() -> list[PanelQuery]:
    queries = []
    for path in DASHBOARD_FILES:
        dashboard = _load(path)
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                queries.append(
                    PanelQuery(
                        dashboard=dashboard["title"],
                        panel=panel["title"],
                        datasource=target["datasource"]["type"],
                        expr=target.get("expr") or target.get("query", ""),
                        instant=bool(target.get("instant")) or target.get("queryType") == "instant",
                        time_from=panel.get("timeFrom"),
                    )
                )
    return queries


QUERIES = _queries()


def _recorded_series() -> set[str]:
    return {
        rule["record"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


# ---------------------------------------------------------------- static checks


def test_dashboards_are_generated() -> None:
    assert {path.name for path in DASHBOARD_FILES} == {
        "llmotel-overview.json",
        "llmotel-model.json",
        "llmotel-traces.json",
        "llmotel-logs.json",
    }


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.stem)
def test_panels_use_the_templated_datasources(path: Path) -> None:
    dashboard = _load(path)
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    for plugin, uid in PROVISIONED_UIDS.items():
        assert variables[plugin]["type"] == "datasource"
        assert variables[plugin]["current"]["value"] == uid, f"{plugin} variable must default to the provisioned uid"
    for panel in _panels(dashboard):
        plugin = panel["datasource"]["type"]
        assert panel["datasource"]["uid"] == f"${{{plugin}}}", (
            f"{panel['title']}: datasource must be the ${plugin} variable"
        )
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], (
                f"{panel['title']}: target datasource differs from panel"
            )


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.stem)
def test_panels_are_described_and_have_units(path: Path) -> None:
    for panel in _panels(_load(path)):
        assert panel.get("description"), f"{panel['title']} has no description"
        if panel["type"] in {"timeseries", "stat"}:
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']} has no unit"


def test_panel_ids_and_dashboard_uids_are_unique() -> None:
    uids = [_load(path)["uid"] for path in DASHBOARD_FILES]
    assert len(set(uids)) == len(uids)
    for path in DASHBOARD_FILES:
        ids = [panel["id"] for panel in _load(path)["panels"]]
        assert len(set(ids)) == len(ids), f"{path.name}: duplicate panel ids"


@pytest.mark.parametrize(
    "query", [q for q in QUERIES if q.datasource == "prometheus"], ids=lambda q: f"{q.dashboard}/{q.panel}"
)
def test_prometheus_queries_follow_the_hygiene_rules(query: PanelQuery) -> None:
    windows = re.findall(r"\[([^\]]+)\]", query.expr)
    assert all(window in {"$__rate_interval", "$__range"} for window in windows), (
        f"fixed range windows belong in recording rules, dashboards use $__rate_interval or $__range: {windows}"
    )
    # Raw counters (and histogram parts) only make sense inside rate() / increase().
    for match in re.finditer(r"\b([a-z_]+_(?:total|count|sum|bucket))\{", query.expr):
        preceding = query.expr[: match.start()]
        assert re.search(r"(rate|increase)\($", preceding), f"raw counter {match.group(1)} outside rate()/increase()"
    # Variables applied to every series so the dashboard filters stay honest.
    for selector in re.findall(r"\{([^}]*)\}", query.expr):
        assert 'service_name=~"$service"' in selector, f"selector without the service filter: {{{selector}}}"
    unknown = set(re.findall(r"\bllm:[a-z0-9_:]+", query.expr)) - _recorded_series()
    assert not unknown, f"series not recorded by grafana/rules: {unknown}"


# ---------------------------------------------------------------- every query against the backends


def _substitute(expr: str, dashboard_title: str, range_s: int) -> str:
    dashboard = next(d for d in map(_load, DASHBOARD_FILES) if d["title"] == dashboard_title)
    for builtin, value in {**BUILTINS, "$__range": f"{range_s}s"}.items():
        expr = expr.replace(builtin, value)
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            value = variable["allValue"]  # the "All" selection every dashboard opens with
        elif variable["type"] == "textbox":
            value = variable["query"]
        else:
            continue
        expr = expr.replace(f"${variable['name']}", value)
    assert "$" not in expr, f"unsubstituted variable left in {expr}"
    return expr


def _range_seconds(query: PanelQuery) -> int:
    if query.time_from == "now/d":
        midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        # Just after midnight "today" holds too little for increase(); the test's data is recent.
        return max(int(time.time() - midnight.timestamp()), RANGE_WINDOW_S)
    return RANGE_WINDOW_S


def _has_finite_value(result: list[dict[str, Any]]) -> bool:
    values = [series["value"] for series in result if "value" in series]
    values += [point for series in result for point in series.get("values", [])]
    return any(math.isfinite(float(point[1])) for point in values)


EXECUTABLE = [q for q in QUERIES if q.datasource in {"prometheus", "loki"}]


@pytest.mark.parametrize("query", EXECUTABLE, ids=lambda q: f"{q.dashboard}/{q.panel}/{q.expr[:40]}")
def test_panel_query_returns_data(query: PanelQuery, prometheus: Prometheus, loki: Loki, sent: Any) -> None:
    _, started = sent
    expr = _substitute(query.expr, query.dashboard, _range_seconds(query))

    def run() -> list[dict[str, Any]] | None:
        now = time.time()
        if query.datasource == "prometheus":
            result = prometheus.query(expr) if query.instant else prometheus.query_range(expr, started - 60, now)
            return result if _has_finite_value(result) else None
        data = loki.query_range(expr, started - 60, now + 60)
        return data["result"] or None

    wait_for(f"data for {query.dashboard} / {query.panel}: {expr}", run)


def test_tempo_panels_are_listed_as_not_executable() -> None:
    tempo_panels = sorted(f"{q.dashboard} / {q.panel}" for q in QUERIES if q.datasource == "tempo")
    assert tempo_panels, "the traces dashboard must have TraceQL panels"
    assert {q.datasource for q in QUERIES} == {"prometheus", "loki", "tempo"}
    pytest.skip(f"{len(tempo_panels)} TraceQL panels not executed ({TEMPO_UNAVAILABLE}): {'; '.join(tempo_panels)}")
