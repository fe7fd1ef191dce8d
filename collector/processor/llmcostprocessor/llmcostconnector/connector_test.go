package llmcostconnector

import (
	"context"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
)

// pricedSpan returns the attributes the llmcost processor leaves on a priced span.
func pricedSpan(provider, model string, input, output, cacheRead, cacheWrite float64) map[string]any {
	return map[string]any{
		costattr.OperationName:  "chat",
		costattr.ProviderName:   provider,
		costattr.RequestModel:   model,
		costattr.ResponseModel:  model,
		costattr.InputTokens:    1000,
		costattr.OutputTokens:   100,
		costattr.CostInput:      input,
		costattr.CostOutput:     output,
		costattr.CostCacheRead:  cacheRead,
		costattr.CostCacheWrite: cacheWrite,
		costattr.CostTotal:      input + output + cacheRead + cacheWrite,
	}
}

func unpricedSpan(provider, model string, input, output int) map[string]any {
	return map[string]any{
		costattr.OperationName: "chat",
		costattr.ProviderName:  provider,
		costattr.RequestModel:  model,
		costattr.InputTokens:   input,
		costattr.OutputTokens:  output,
		costattr.CostUnpriced:  true,
	}
}

// traces builds one resource per service with the given span attributes.
func traces(service string, spans ...map[string]any) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	rs.Resource().Attributes().PutStr("service.instance.id", "app-pod-7") // must not leak into cost series
	rs.Resource().Attributes().PutStr("deployment.environment.name", "prod")
	ss := rs.ScopeSpans().AppendEmpty()
	for _, a := range spans {
		if err := ss.Spans().AppendEmpty().Attributes().FromRaw(a); err != nil {
			panic(err)
		}
	}
	return td
}

func newTestConnector(t *testing.T, mutate func(*Config)) (*costConnector, *consumertest.MetricsSink) {
	t.Helper()
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	set := connectortest.NewNopSettings(metadata.Type)
	set.Resource.Attributes().PutStr("service.instance.id", "gateway-1")
	sink := new(consumertest.MetricsSink)
	conn, err := f.CreateTracesToMetrics(context.Background(), set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*costConnector), sink
}

// point is one flattened data point: resource, metric and attributes.
type point struct {
	key   string
	value float64
}

func flatten(t *testing.T, md pmetric.Metrics) []point {
	t.Helper()
	var out []point
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := attrString(rm.Resource().Attributes())
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			sum := m.Sum()
			if !sum.IsMonotonic() || sum.AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
				t.Errorf("%s must be a cumulative monotonic sum", m.Name())
			}
			wantUnit := map[string]string{costattr.MetricCostUSD: "{USD}", costattr.MetricUnpricedTok: "{token}"}[m.Name()]
			if m.Unit() != wantUnit {
				t.Errorf("%s unit %q; want %q", m.Name(), m.Unit(), wantUnit)
			}
			for k := 0; k < sum.DataPoints().Len(); k++ {
				dp := sum.DataPoints().At(k)
				if dp.StartTimestamp() == 0 || dp.Timestamp() < dp.StartTimestamp() {
					t.Errorf("bad timestamps on %s", m.Name())
				}
				v := dp.DoubleValue()
				if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
					v = float64(dp.IntValue())
				}
				out = append(out, point{key: res + " | " + m.Name() + " " + attrString(dp.Attributes()), value: v})
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].key < out[b].key })
	return out
}

func attrString(m pcommon.Map) string {
	var parts []string
	m.Range(func(k string, v pcommon.Value) bool {
		parts = append(parts, k+"="+v.AsString())
		return true
	})
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

const (
	resCheckout = "deployment.environment.name=prod,service.instance.id=gateway-1,service.name=checkout"
	resSearch   = "deployment.environment.name=prod,service.instance.id=gateway-1,service.name=search"
	gpt4o       = "gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o,gen_ai.response.model=gpt-4o"
	claude      = "gen_ai.provider.name=anthropic,gen_ai.request.model=claude-sonnet-4-5,gen_ai.response.model=claude-sonnet-4-5"
	mystery     = "gen_ai.provider.name=openai,gen_ai.request.model=gpt-9,gen_ai.response.model="
)

func TestCostCounters(t *testing.T) {
	type batch struct {
		service string
		spans   []map[string]any
	}
	cases := []struct {
		name    string
		batches []batch
		want    []point
	}{
		{
			name: "parts summed per token type, zero parts not emitted",
			batches: []batch{
				{"checkout", []map[string]any{pricedSpan("openai", "gpt-4o", 0.0025, 0.005, 0, 0)}},
				{"checkout", []map[string]any{pricedSpan("openai", "gpt-4o", 0.0025, 0.005, 0.00125, 0)}},
			},
			want: []point{
				{resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=cache_read", 0.00125},
				{resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=input", 0.005},
				{resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=output", 0.01},
			},
		},
		{
			name: "services and models kept apart, cache write counted",
			batches: []batch{
				{"checkout", []map[string]any{pricedSpan("anthropic", "claude-sonnet-4-5", 0.006, 0.015, 0.0018, 0.0075)}},
				{"search", []map[string]any{pricedSpan("openai", "gpt-4o", 1, 2, 0, 0)}},
			},
			want: []point{
				{resCheckout + " | llmotel.cost.usd " + claude + ",llmotel.cost.token_type=cache_read", 0.0018},
				{resCheckout + " | llmotel.cost.usd " + claude + ",llmotel.cost.token_type=cache_write", 0.0075},
				{resCheckout + " | llmotel.cost.usd " + claude + ",llmotel.cost.token_type=input", 0.006},
				{resCheckout + " | llmotel.cost.usd " + claude + ",llmotel.cost.token_type=output", 0.015},
				{resSearch + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=input", 1},
				{resSearch + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=output", 2},
			},
		},
		{
			name: "unpriced tokens counted by gen_ai.token.type, no cost",
			batches: []batch{
				{"checkout", []map[string]any{unpricedSpan("openai", "gpt-9", 1200, 300), unpricedSpan("openai", "gpt-9", 800, 0)}},
			},
			want: []point{
				{resCheckout + " | llmotel.cost.unpriced_tokens " + mystery + ",gen_ai.token.type=input", 2000},
				{resCheckout + " | llmotel.cost.unpriced_tokens " + mystery + ",gen_ai.token.type=output", 300},
			},
		},
		{
			name: "spans without cost attributes are ignored",
			batches: []batch{
				{"checkout", []map[string]any{{"http.request.method": "GET"}, {costattr.OperationName: "execute_tool"}}},
			},
			want: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, sink := newTestConnector(t, nil)
			if err := conn.Start(context.Background(), componenttest.NewNopHost()); err != nil {
				t.Fatal(err)
			}
			for _, b := range c.batches {
				if err := conn.ConsumeTraces(context.Background(), traces(b.service, b.spans...)); err != nil {
					t.Fatal(err)
				}
			}
			if err := conn.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []point
			if n := len(sink.AllMetrics()); n > 1 {
				t.Fatalf("shutdown flushed %d times", n)
			} else if n == 1 {
				got = flatten(t, sink.AllMetrics()[0])
			}
			if !samePoints(got, c.want) {
				t.Fatalf("got\n%s\nwant\n%s", dump(got), dump(c.want))
			}
		})
	}
}

// TestCumulativeAcrossFlushes checks that each flush re-sends the running
// totals with a stable start time, as Prometheus counters expect.
func TestCumulativeAcrossFlushes(t *testing.T) {
	conn, sink := newTestConnector(t, nil)
	span := pricedSpan("openai", "gpt-4o", 0.25, 0.5, 0, 0)
	if err := conn.ConsumeTraces(context.Background(), traces("checkout", span)); err != nil {
		t.Fatal(err)
	}
	conn.flush(context.Background())
	if err := conn.ConsumeTraces(context.Background(), traces("checkout", span, span)); err != nil {
		t.Fatal(err)
	}
	conn.flush(context.Background())
	conn.flush(context.Background())
	all := sink.AllMetrics()
	if len(all) != 3 {
		t.Fatalf("want 3 flushes, got %d", len(all))
	}
	firstDP := all[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	for i, wantInput := range []float64{0.25, 0.75, 0.75} {
		got := flatten(t, all[i])
		key := resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=input"
		if v := valueOf(got, key); v != wantInput {
			t.Errorf("flush %d: input cost %v; want %v", i, v, wantInput)
		}
		dp := all[i].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
		if dp.StartTimestamp() != firstDP.StartTimestamp() {
			t.Errorf("flush %d: start time moved", i)
		}
	}
}

func TestMaxSeriesOverflowKeepsTotals(t *testing.T) {
	conn, sink := newTestConnector(t, func(c *Config) { c.MaxSeries = 2 })
	spans := []map[string]any{
		pricedSpan("openai", "gpt-4o", 1, 2, 0, 0),        // 2 series: input, output
		pricedSpan("openai", "gpt-4o-mini", 0.5, 0, 0, 0), // beyond the limit
		pricedSpan("openai", "o3", 0.25, 0, 0, 0),         // beyond the limit
	}
	if err := conn.ConsumeTraces(context.Background(), traces("checkout", spans...)); err != nil {
		t.Fatal(err)
	}
	conn.flush(context.Background())
	got := flatten(t, sink.AllMetrics()[0])
	want := []point{
		{resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=input", 1},
		{resCheckout + " | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=output", 2},
		{resCheckout + " | llmotel.cost.usd otel.metric.overflow=true", 0.75},
	}
	if !samePoints(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestWithoutCollectorInstanceID(t *testing.T) {
	conn, sink := newTestConnector(t, func(c *Config) {
		c.CollectorInstanceID = false
		c.ResourceAttributes = []string{"service.name"}
	})
	if err := conn.ConsumeTraces(context.Background(), traces("checkout", pricedSpan("openai", "gpt-4o", 1, 0, 0, 0))); err != nil {
		t.Fatal(err)
	}
	conn.flush(context.Background())
	got := flatten(t, sink.AllMetrics()[0])
	want := []point{{"service.name=checkout | llmotel.cost.usd " + gpt4o + ",llmotel.cost.token_type=input", 1}}
	if !samePoints(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := createDefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cfg.FlushInterval = 0
	if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "llmcost connector: flush_interval 0s is below 1s") {
		t.Fatalf("got %v", err)
	}
	cfg = createDefaultConfig()
	cfg.MaxSeries = 0
	if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "llmcost connector: max_series must be positive") {
		t.Fatalf("got %v", err)
	}
}

func samePoints(a, b []point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func valueOf(points []point, key string) float64 {
	for _, p := range points {
		if p.key == key {
			return p.value
		}
	}
	return -1
}

func dump(points []point) string {
	var b strings.Builder
	for _, p := range points {
		b.WriteString("  ")
		b.WriteString(p.key)
		b.WriteString(" = ")
		b.WriteString(pcommon.NewValueDouble(p.value).AsString())
		b.WriteString("\n")
	}
	return b.String()
}
