"""Thin HTTP clients for the backends' query APIs, with polling: telemetry crosses two collectors,
batching and rule evaluation before it is queryable, so reads retry until a condition holds.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Telemetry arrives within seconds; recording rules add one 15 s evaluation and the llmcost
# connector one 15 s flush. 120 s leaves room for a loaded CI machine.
ARRIVAL_TIMEOUT_S = 120.0


class BackendError(RuntimeError):
    pass


def get_json(base_url: str, path: str, params: dict[str, str] | None = None) -> Any:
    url = f"{base_url}{path}"
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise BackendError(f"GET {url} -> {exc.code}: {exc.read().decode(errors='replace')[:500]}") from exc


def wait_for(describe: str, probe: Callable[[], T | None], timeout_s: float = ARRIVAL_TIMEOUT_S) -> T:
    """Calls probe until it returns something other than None (or raises after the timeout)."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while True:
        last = probe()
        if last is not None:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {describe}")
        time.sleep(2)


class Prometheus:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        body = get_json(self.base_url, "/api/v1/query", params)
        return list(body["data"]["result"])

    def query_range(self, expr: str, start: float, end: float, step_s: int = 15) -> list[dict[str, Any]]:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step_s)}
        body = get_json(self.base_url, "/api/v1/query_range", params)
        return list(body["data"]["result"])

    def scalar(self, expr: str) -> float | None:
        """Value of a query that yields one series, None while it yields none."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) != 1:
            raise AssertionError(f"{expr} returned {len(result)} series, expected one: {result}")
        return float(result[0]["value"][1])

    def exemplars(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        body = get_json(
            self.base_url, "/api/v1/query_exemplars", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}"}
        )
        return list(body["data"])


class Loki:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def query_range(self, logql: str, start: float, end: float, limit: int = 1000) -> dict[str, Any]:
        params = {
            "query": logql,
            "start": str(int(start * 1e9)),
            "end": str(int(end * 1e9)),
            "limit": str(limit),
            "direction": "forward",
        }
        body = get_json(self.base_url, "/loki/api/v1/query_range", params)
        return dict(body["data"])

    def streams(self, logql: str, start: float, end: float) -> list[dict[str, Any]]:
        data = self.query_range(logql, start, end)
        if data["resultType"] != "streams":
            raise AssertionError(f"{logql} is a metric query, expected log lines")
        return list(data["result"])
