"""llmotel's Grafana dashboards: overview, per-model drilldown, traces (Tempo TraceQL), logs (Loki).

Prometheus panels read the `llm:*` recording rules (grafana/rules/llmotel.rules.yml) except where
a panel needs what recording cannot keep: exemplars (raw histogram) and totals over the selected
range (`increase(...[$__range])` on the raw counter).
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import heatmap
from grafana_foundation_sdk.models import dashboard as dash_model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat
from panels import (
    LOKI_STREAM,
    PROMETHEUS,
    SELECTOR,
    SERVICE_SELECTOR,
    base_dashboard,
    logs_panel_of,
    loki_timeseries_panel,
    prom,
    row,
    stat_panel,
    table_panel,
    timeseries_panel,
    traceql_panel,
)

# Errors that mean "the provider throttled us"; the same family as the LLMRateLimited alert.
RATE_LIMIT_ERRORS = "(?i).*(429|rate_?limit(ed)?|RateLimitError).*"
# Loki 3.7 drops the OTLP log record's event name, so the SDK's events are told apart by their
# attributes (structured metadata): content events (gen_ai.client.inference.operation.details)
# carry the captured messages; failed-call events (gen_ai.client.operation.exception) are WARN
# records with error.type.
CONTENT_EVENTS = '| gen_ai_input_messages != "" or gen_ai_output_messages != ""'
EXCEPTION_EVENTS = '| error_type != "" and severity_number >= 13'
COST = "llmotel_cost_usd_total"
CACHE_READ = ', llmotel_cost_token_type="cache_read"'
ALL_INPUT = ', llmotel_cost_token_type=~"input|cache_read|cache_write"'


@dataclass(frozen=True)
class Options:
    """What users tune when regenerating: the dashboards' time zone and the KRW rate."""

    timezone: str = "browser"
    krw_per_usd: float = 1400.0


def in_range(metric: str, matchers: str = "") -> str:
    """increase() of a raw counter over the dashboard's selected range."""
    return f"increase({metric}{{{SELECTOR}{matchers}}}[$__range])"


def per_second(metric: str) -> str:
    """rate() of a raw counter at Grafana's rate interval."""
    return f"rate({metric}{{{SELECTOR}}}[$__rate_interval])"


def _quantiles(bucket_rate: str, quantiles: tuple[float, ...], by: str = "le") -> list:
    return [
        prom(f"histogram_quantile({q}, sum by ({by}) ({bucket_rate}))", f"p{round(q * 100)}", chr(ord("A") + i))
        for i, q in enumerate(quantiles)
    ]


def latency_panel(title: str, by: str = "le", legend_label: str = "") -> dash_model.Panel:
    raw = per_second("gen_ai_client_operation_duration_seconds_bucket")
    targets = _quantiles(raw, (0.5, 0.95, 0.99), by)
    if legend_label:
        targets = [t.legend_format(f"{{{{{legend_label}}}}} {name}") for t, name in zip(targets, ("p50", "p95", "p99"))]
    # Exemplars sit on the raw histogram and carry the trace id the Tempo datasource opens.
    targets = [t.exemplar(True) for t in targets]
    return timeseries_panel(title, "Call duration quantiles; dots are exemplars linking to the trace.", "s", targets)


def requests_panel(by: str) -> dash_model.Panel:
    return timeseries_panel(
        "Requests/s",
        f"LLM calls per second by {by.replace('gen_ai_', '').replace('_name', '')}.",
        "reqps",
        [prom(f"sum by ({by}) (llm:requests:rate5m{{{SELECTOR}}})")],
    )


def errors_by_type_panel() -> dash_model.Panel:
    highlight = dash_model.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "red"})
    return timeseries_panel(
        "Errors/s by type",
        "Failed calls by error.type; the 429 / rate-limit family is drawn in red.",
        "reqps",
        [prom(f"sum by (error_type) (llm:request_errors:rate5m{{{SELECTOR}}})", "{{error_type}}")],
    ).override_by_regexp(RATE_LIMIT_ERRORS, [highlight])


def overview(options: Options) -> dash.Dashboard:
    range_cost = f"sum({in_range(COST)})"
    return (
        base_dashboard(
            "llmotel-overview",
            "llmotel / LLM overview",
            "Traffic, errors, latency, tokens, cost, budgets and redaction across LLM calls.",
            options.timezone,
            options.krw_per_usd,
        )
        .with_row(row("Traffic and errors"))
        .with_panel(requests_panel("gen_ai_provider_name, gen_ai_operation_name"))
        .with_panel(
            timeseries_panel(
                "Error ratio",
                "Share of LLM calls that failed (error.type is set only on failure).",
                "percentunit",
                [
                    prom(
                        f"(sum(llm:request_errors:rate5m{{{SELECTOR}}}) or vector(0))"
                        f" / sum(llm:requests:rate5m{{{SELECTOR}}})",
                        "error ratio",
                    )
                ],
            )
        )
        .with_panel(errors_by_type_panel())
        .with_panel(latency_panel("Latency p50 / p95 / p99"))
        .with_panel(
            timeseries_panel(
                "Time to first chunk p50 / p95",
                "Streaming calls: seconds from the request to the first chunk.",
                "s",
                _quantiles(f"llm:time_to_first_chunk_seconds_bucket:rate5m{{{SELECTOR}}}", (0.5, 0.95)),
            )
        )
        .with_panel(
            timeseries_panel(
                "Tokens/s, input vs output",
                "Input includes cache reads and writes; output includes reasoning tokens.",
                "short",
                [prom(f"sum by (gen_ai_token_type) (llm:tokens:rate5m{{{SELECTOR}}})", "{{gen_ai_token_type}}")],
            )
        )
        .with_row(row("Cost"))
        .with_panel(
            stat_panel(
                "Cost in range (USD)",
                "Spend over the selected time range.",
                "currencyUSD",
                prom(range_cost, instant=True),
            )
        )
        .with_panel(
            stat_panel(
                "Cost in range (KRW)",
                "Spend over the selected range at the KRW per USD rate set above.",
                "currencyKRW",
                prom(f"{range_cost} * $krw_per_usd", instant=True),
            )
        )
        .with_panel(
            stat_panel(
                "Cost today (USD)",
                "Spend since midnight in the dashboard's time zone.",
                "currencyUSD",
                prom(range_cost, instant=True),
            ).time_from("now/d")
        )
        .with_panel(
            stat_panel(
                "Cost per request (USD)",
                "Average spend per LLM call over the selected range.",
                "currencyUSD",
                prom(
                    f"{range_cost} / sum({in_range('gen_ai_client_operation_duration_seconds_count')})",
                    instant=True,
                ),
            )
        )
        .with_panel(
            stat_panel(
                "Cache reads, share of input spend",
                "Spend on cache reads over all input spend (uncached, cache read, cache write). "
                "Default-mode metrics carry no cache token counts, so the ratio is by cost.",
                "percentunit",
                prom(
                    f"(sum({in_range(COST, CACHE_READ)}) or vector(0)) / sum({in_range(COST, ALL_INPUT)})",
                    instant=True,
                ),
            )
        )
        .with_panel(
            stat_panel(
                "Unpriced token share",
                "Tokens whose model has no entry in the price table: cost is undercounted by this share.",
                "percentunit",
                prom(
                    f"(sum({in_range('llmotel_cost_unpriced_tokens_total')}) or vector(0))"
                    f" / sum({in_range('gen_ai_client_token_usage_sum')})",
                    instant=True,
                ),
            )
        )
        .with_panel(
            timeseries_panel(
                "Cost per hour by model (USD)",
                "Current spend rate by requested model.",
                "currencyUSD",
                [
                    prom(
                        f"sum by (gen_ai_request_model) (llm:cost_usd:rate5m{{{SELECTOR}}}) * 3600",
                        "{{gen_ai_request_model}}",
                    )
                ],
            )
        )
        .with_panel(
            timeseries_panel(
                "Cost per hour by service (USD)",
                "Current spend rate by service.",
                "currencyUSD",
                [prom(f"sum by (service_name) (llm:cost_usd:rate5m{{{SELECTOR}}}) * 3600", "{{service_name}}")],
            )
        )
        .with_panel(
            table_panel(
                "Top models by cost in range",
                "The ten most expensive models over the selected range.",
                "currencyUSD",
                prom(
                    f"topk(10, sum by (gen_ai_provider_name, gen_ai_request_model) ({in_range(COST)}))",
                    instant=True,
                ),
            )
        )
        .with_panel(
            timeseries_panel(
                "Daily budget used (rolling 24 h)",
                "Spend over the last 24 h against llm:budget_usd_per_day (grafana/rules/budgets.rules.yml); "
                "alerts fire at 80%.",
                "percentunit",
                [
                    prom(
                        f"llm:cost_usd:increase24h{{{SERVICE_SELECTOR}}}"
                        " / on (service_name) group_left () llm:budget_usd_per_day",
                        "{{service_name}}",
                    )
                ],
            )
        )
        .with_row(row("Privacy"))
        .with_panel(
            timeseries_panel(
                "Redactions per minute by entity",
                "Values the SDK redacted from captured content; a drop to zero while traffic continues alerts.",
                "short",
                [
                    prom(
                        f"sum by (llmotel_redaction_entity) (llm:redactions:rate5m{{{SERVICE_SELECTOR}}}) * 60",
                        "{{llmotel_redaction_entity}}",
                    )
                ],
            )
        )
    )


def per_model(options: Options) -> dash.Dashboard:
    by_model = "gen_ai_request_model"
    return (
        base_dashboard(
            "llmotel-model",
            "llmotel / Per model",
            "One model (or a few) in detail: latency shape, chunk timing, context growth, snapshots served.",
            options.timezone,
            options.krw_per_usd,
        )
        .with_panel(requests_panel(f"{by_model}, gen_ai_operation_name"))
        .with_panel(errors_by_type_panel())
        .with_panel(latency_panel("Latency p50 / p95 / p99 by model", f"le, {by_model}", by_model))
        .with_panel(
            heatmap.Panel()
            .title("Latency heatmap")
            .description("Distribution of call durations over time.")
            .datasource(PROMETHEUS)
            .with_target(
                prom(
                    f"sum by (le) ({per_second('gen_ai_client_operation_duration_seconds_bucket')})",
                    "{{le}}",
                ).format(PromQueryFormat.HEATMAP)
            )
            .unit("s")
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries_panel(
                "Time per output chunk p50 / p95",
                "Streaming calls: mean gap between chunks after the first.",
                "s",
                _quantiles(f"llm:time_per_output_chunk_seconds_bucket:rate5m{{{SELECTOR}}}", (0.5, 0.95)),
            )
        )
        .with_panel(
            timeseries_panel(
                "Tokens per request, average and p95",
                "Context bloat shows as a rising input average or p95.",
                "short",
                [
                    prom(
                        f"sum by (gen_ai_token_type) ({per_second('gen_ai_client_token_usage_sum')})"
                        f" / sum by (gen_ai_token_type) ({per_second('gen_ai_client_token_usage_count')})",
                        "{{gen_ai_token_type}} avg",
                    ),
                    prom(
                        "histogram_quantile(0.95, sum by (le, gen_ai_token_type)"
                        f" (llm:tokens_per_request_bucket:rate5m{{{SELECTOR}}}))",
                        "{{gen_ai_token_type}} p95",
                        "B",
                    ),
                ],
            )
        )
        .with_panel(
            table_panel(
                "Snapshots served",
                "Which dated model snapshot actually answered each requested model, over the selected range.",
                "short",
                prom(
                    "sum by (gen_ai_request_model, gen_ai_response_model)"
                    f" ({in_range('gen_ai_client_operation_duration_seconds_count')})",
                    instant=True,
                ),
            )
        )
        .with_panel(
            timeseries_panel(
                "Cost per hour by token type (USD)",
                "Where the money goes: uncached input, output, cache reads, cache writes.",
                "currencyUSD",
                [
                    prom(
                        f"sum by (llmotel_cost_token_type) (llm:cost_usd:rate5m{{{SELECTOR}}}) * 3600",
                        "{{llmotel_cost_token_type}}",
                    )
                ],
            )
        )
    )


def traces(options: Options) -> dash.Dashboard:
    llm = 'span.gen_ai.operation.name != nil && resource.service.name =~ "$service"'
    return (
        base_dashboard(
            "llmotel-traces",
            "llmotel / Traces",
            "TraceQL searches over LLM spans in Tempo: slow, failed, throttled and expensive calls.",
            options.timezone,
            options.krw_per_usd,
        )
        .with_panel(
            traceql_panel(
                "Slow calls (> 10.24 s)", "LLM calls over the latency objective.", f"{{ {llm} && duration > 10.24s }}"
            )
        )
        .with_panel(
            traceql_panel("Failed calls", "LLM calls that ended in an error.", f"{{ {llm} && status = error }}")
        )
        .with_panel(
            traceql_panel(
                "Rate-limited calls",
                "Calls the provider throttled (429 family).",
                f'{{ {llm} && span.error.type =~ "{RATE_LIMIT_ERRORS}" }}',
            )
        )
        .with_panel(
            traceql_panel(
                "Expensive or huge calls",
                "Calls costing over 0.05 USD or sending over 50k input tokens.",
                f"{{ {llm} && (span.llmotel.cost.total_usd > 0.05 || span.gen_ai.usage.input_tokens > 50000) }}",
            )
        )
        .with_panel(
            traceql_panel(
                "Agent runs whose LLM call failed",
                "Structural query: an agent invocation with a failed LLM call beneath it.",
                '{ span.gen_ai.operation.name = "invoke_agent" }'
                ' >> { span.gen_ai.operation.name = "chat" && status = error }',
            )
        )
        .with_panel(
            traceql_panel(
                "Top users by cost",
                "Per-user spend from span attributes; user ids stay out of Prometheus labels.",
                f"{{ {llm} && span.llmotel.cost.total_usd > 0 }}"
                " | sum_over_time(span.llmotel.cost.total_usd) by (span.user.id)",
            )
        )
    )


def logs(options: Options) -> dash.Dashboard:
    content = f"{LOKI_STREAM} {CONTENT_EVENTS}"
    return (
        base_dashboard(
            "llmotel-logs",
            "llmotel / Logs and content",
            "GenAI log events in Loki. Content events exist only where content capture is on: restrict this dashboard.",
            options.timezone,
            options.krw_per_usd,
        )
        .with_panel(
            logs_panel_of(
                "Content events (restricted)",
                "Captured prompts and completions, already redacted by the SDK and the collector.",
                content,
            )
        )
        .with_panel(
            loki_timeseries_panel(
                "Redaction activity",
                "Content events in which values were redacted, per service.",
                "short",
                f"sum by (service_name) (count_over_time({content} | llmotel_redaction_count > 0 [$__auto]))",
                "{{service_name}}",
            )
        )
        .with_panel(
            logs_panel_of(
                "Failed calls",
                "Exception events of failed LLM calls; open one to jump to its trace.",
                f"{LOKI_STREAM} {EXCEPTION_EVENTS}",
            )
        )
        .with_panel(
            loki_timeseries_panel(
                "Stored content volume",
                "Bytes of captured content per service: what content capture costs in log storage.",
                "bytes",
                f"sum by (service_name) (bytes_over_time({content} [$__auto]))",
                "{{service_name}}",
            )
        )
    )


DASHBOARDS = {
    "overview": overview,
    "model": per_model,
    "traces": traces,
    "logs": logs,
}
