"""Building blocks shared by llmotel's dashboards: datasources, variables, label selectors and
panel constructors with the project's conventions (units, rate intervals, fixed datasource UIDs).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import logs as logs_panel
from grafana_foundation_sdk.builders import loki, prometheus, stat, table, tempo, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dash_model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

# Fixed UIDs, also written in grafana/provisioning/datasources/llmotel.yaml.
PROMETHEUS_UID = "llmotel-prometheus"
LOKI_UID = "llmotel-loki"
TEMPO_UID = "llmotel-tempo"

PROMETHEUS = common.DataSourceRef(type_val="prometheus", uid="${prometheus}")
LOKI = common.DataSourceRef(type_val="loki", uid="${loki}")
TEMPO = common.DataSourceRef(type_val="tempo", uid="${tempo}")

# Label matchers every Prometheus query applies, driven by the dashboard variables.
SELECTOR = (
    'deployment_environment_name=~"$env", service_name=~"$service", '
    'gen_ai_provider_name=~"$provider", gen_ai_request_model=~"$model"'
)
# The same for series recorded without the model dimension (per-service recording rules).
SERVICE_SELECTOR = 'deployment_environment_name=~"$env", service_name=~"$service"'
# Loki stream selector: service and environment are index labels (stack/config/loki.yaml).
LOKI_STREAM = '{service_name=~"$service", deployment_environment_name=~"$env"}'

REQUESTS_METRIC = "gen_ai_client_operation_duration_seconds_count"

LEGEND = (
    common_builders.VizLegendOptions()
    .show_legend(True)
    .display_mode(common.LegendDisplayMode.LIST)
    .placement(common.LegendPlacement.BOTTOM)
)


def datasource_variable(name: str, plugin: str, uid: str) -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable(name)
        .label(name.capitalize())
        .type(plugin)
        .current(dash_model.VariableOption(selected=True, text=uid, value=uid))
    )


def label_variable(
    name: str, label: str, metric_selector: str, label_name: str, all_value: str = ".+"
) -> dash.QueryVariable:
    """A multi-select variable over a Prometheus label. "All" is `.+` by default because Loki
    refuses stream selectors whose every matcher matches the empty string."""
    query = f"label_values({metric_selector}, {label_name})"
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query({"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1})
        .definition(query)
        .refresh(dash_model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dash_model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(all_value)
        .current(dash_model.VariableOption(selected=True, text="All", value="$__all"))
    )


def common_variables(krw_per_usd: float) -> list[cogbuilder.Builder[dash_model.VariableModel]]:
    return [
        datasource_variable("prometheus", "prometheus", PROMETHEUS_UID),
        datasource_variable("loki", "loki", LOKI_UID),
        datasource_variable("tempo", "tempo", TEMPO_UID),
        # Environment may be unset on some series: "All" must match its absence too.
        label_variable("env", "Environment", REQUESTS_METRIC, "deployment_environment_name", all_value=".*"),
        label_variable(
            "service", "Service", f'{REQUESTS_METRIC}{{deployment_environment_name=~"$env"}}', "service_name"
        ),
        label_variable(
            "provider",
            "Provider",
            f'{REQUESTS_METRIC}{{deployment_environment_name=~"$env", service_name=~"$service"}}',
            "gen_ai_provider_name",
        ),
        label_variable(
            "model",
            "Model",
            f'{REQUESTS_METRIC}{{deployment_environment_name=~"$env", service_name=~"$service", '
            'gen_ai_provider_name=~"$provider"}',
            "gen_ai_request_model",
        ),
        dash.TextBoxVariable("krw_per_usd")
        .label("KRW per USD")
        .description("Exchange rate used by the KRW panels; set your finance team's rate.")
        .default_value(f"{krw_per_usd:g}"),
    ]


def prom(expr: str, legend: str = "__auto", ref_id: str = "A", *, instant: bool = False) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).datasource(PROMETHEUS)
    return query.instant() if instant else query.range()


def timeseries_panel(title: str, description: str, unit: str, targets: list[prometheus.Dataquery]) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .targets(list[cogbuilder.Builder[cogvariants.Dataquery]](targets))
        .fill_opacity(10)
        .legend(LEGEND)
        .height(8)
        .span(12)
    )


def stat_panel(title: str, description: str, unit: str, target: prometheus.Dataquery) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .with_target(target)
        .height(4)
        .span(4)
    )


def table_panel(title: str, description: str, unit: str, target: prometheus.Dataquery) -> table.Panel:
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .with_target(target.format(PromQueryFormat.TABLE))
        .height(8)
        .span(12)
    )


def traceql_panel(title: str, description: str, traceql: str, limit: int = 20) -> table.Panel:
    query = tempo.Dataquery()
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(TEMPO)
        .with_target(query.query_type("traceql").query(traceql).limit(limit).ref_id("A").datasource(TEMPO))
        .height(8)
        .span(12)
    )


def loki_query(expr: str, legend: str = "", ref_id: str = "A", *, instant: bool = False) -> loki.Dataquery:
    query = loki.Dataquery().expr(expr).ref_id(ref_id).datasource(LOKI)
    if legend:
        query = query.legend_format(legend)
    return query.query_type("instant" if instant else "range")


def logs_panel_of(title: str, description: str, expr: str) -> logs_panel.Panel:
    return (
        logs_panel.Panel()
        .title(title)
        .description(description)
        .datasource(LOKI)
        .with_target(loki_query(expr))
        .show_time(True)
        .wrap_log_message(True)
        .height(10)
        .span(24)
    )


def loki_timeseries_panel(title: str, description: str, unit: str, expr: str, legend: str) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(LOKI)
        .unit(unit)
        .with_target(loki_query(expr, legend))
        .fill_opacity(10)
        .legend(LEGEND)
        .height(8)
        .span(12)
    )


def row(title: str) -> dash.Row:
    return dash.Row(title)


def base_dashboard(uid: str, title: str, description: str, timezone: str, krw_per_usd: float) -> dash.Dashboard:
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["llmotel", "genai"])
        .timezone(timezone)
        .time("now-6h", "now")
        .refresh("1m")
        .tooltip(dash_model.DashboardCursorSync.CROSSHAIR)
        .readonly()
        .variables(common_variables(krw_per_usd))
    )
