package llmcostprocessor

import (
	"context"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
)

const fixtureTable = "testdata/prices.yaml"

// want is the expected outcome for one span.
type want struct {
	untouched bool // no llmotel.cost.* attribute at all
	unpriced  bool
	total     float64
	input     float64
	output    float64
	cacheRead float64
	cacheWrt  float64
	match     string
	priceID   string
}

var (
	jan2025 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	jul2025 = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	apr2026 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
)

// chat returns the attributes of a chat span.
func chat(provider, requestModel string, kv ...any) map[string]any {
	m := map[string]any{
		costattr.OperationName: "chat",
		costattr.ProviderName:  provider,
		costattr.RequestModel:  requestModel,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

const (
	in   = costattr.InputTokens
	out  = costattr.OutputTokens
	cr   = costattr.CacheReadTokens
	cc   = costattr.CacheCreateTokens
	cw   = costattr.CacheWriteTokens
	resp = costattr.ResponseModel
	rtr  = "openai.response.service_tier"
	qtr  = "openai.request.service_tier"
)

func TestPricing(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		attrs map[string]any
		want  want
	}{
		{"exact alias, current row", jan2025,
			chat("openai", "gpt-4o", in, 1000, out, 500),
			want{total: 0.0075, input: 0.0025, output: 0.005, match: "exact", priceID: "openai/gpt-4o"}},
		{"alias before its price cut uses the launch row", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC),
			chat("openai", "gpt-4o", in, 1000, out, 500),
			want{total: 0.0125, input: 0.005, output: 0.0075, match: "exact", priceID: "openai/gpt-4o"}},
		{"dated snapshot priced apart from its alias", jan2025,
			chat("openai", "gpt-4o", resp, "gpt-4o-2024-05-13", in, 1000, out, 500),
			want{total: 0.0125, input: 0.005, output: 0.0075, match: "exact", priceID: "openai/gpt-4o-2024-05-13"}},
		{"regex rule", jan2025,
			chat("openai", "gpt-4o", resp, "gpt-4o-2024-11-20", in, 1000, out, 500),
			want{total: 0.0075, input: 0.0025, output: 0.005, match: "regex", priceID: "openai/gpt-4o-snapshots"}},
		{"longest prefix wins", jul2025,
			chat("openai", "gpt-4o-mini-tts", resp, "gpt-4o-mini-tts-2025-03-20", in, 1000, out, 1000),
			want{total: 0.0126, input: 0.0006, output: 0.012, match: "prefix", priceID: "openai/gpt-4o-mini-tts"}},
		{"prefix family with cache read", jan2025,
			chat("openai", "gpt-4o-mini", resp, "gpt-4o-mini-2024-07-18", in, 1_000_000, out, 1_000_000, cr, 400_000),
			want{total: 0.72, input: 0.09, output: 0.6, cacheRead: 0.03, match: "prefix", priceID: "openai/gpt-4o-mini-family"}},
		{"unknown model is unpriced, never $0", jan2025,
			chat("openai", "gpt-9", in, 1000, out, 500),
			want{unpriced: true}},
		{"unknown response model falls back to request model", jan2025,
			chat("openai", "gpt-4o", resp, "gpt-4o-2099-01-01", in, 1000, out, 500),
			want{total: 0.0075, input: 0.0025, output: 0.005, match: "exact", priceID: "openai/gpt-4o"}},
		{"provider-hosted variant has its own price", jan2025,
			chat("azure.ai.openai", "gpt-4o", in, 1000, out, 500),
			want{total: 0.00825, input: 0.00275, output: 0.0055, match: "exact", priceID: "azure.ai.openai/gpt-4o"}},
		{"model known only under another provider is unpriced", jan2025,
			chat("gcp.gemini", "gpt-4o", in, 1000, out, 500),
			want{unpriced: true}},
		{"missing provider is unpriced", jan2025,
			map[string]any{costattr.OperationName: "chat", costattr.RequestModel: "gpt-4o", in: 1000, out: 500},
			want{unpriced: true}},
		{"bedrock global inference profile", jan2025.AddDate(1, 0, 0),
			chat("aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", in, 1_000_000, out, 0),
			want{total: 3, input: 3, match: "exact", priceID: "aws.bedrock/claude-sonnet-4-5-global"}},
		{"bedrock us. profile carries the regional premium", jan2025.AddDate(1, 0, 0),
			chat("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", in, 1_000_000, out, 0),
			want{total: 3.3, input: 3.3, match: "regex", priceID: "aws.bedrock/claude-sonnet-4-5-regional"}},
		{"anthropic cache accounting, v1.41 cache_creation", apr2026,
			chat("anthropic", "claude-sonnet-4-5", in, 10_000, cr, 6_000, cc, 2_000, out, 1_000),
			want{total: 0.0303, input: 0.006, output: 0.015, cacheRead: 0.0018, cacheWrt: 0.0075, match: "exact", priceID: "anthropic/claude-sonnet-4-5"}},
		{"anthropic cache accounting, newest cache_write name", apr2026,
			chat("anthropic", "claude-sonnet-4-5", in, 10_000, cr, 6_000, cw, 2_000, out, 1_000),
			want{total: 0.0303, input: 0.006, output: 0.015, cacheRead: 0.0018, cacheWrt: 0.0075, match: "exact", priceID: "anthropic/claude-sonnet-4-5"}},
		{"tier threshold itself stays at base price", apr2026,
			chat("anthropic", "claude-sonnet-4-5", in, 200_000, out, 1_000),
			want{total: 0.615, input: 0.6, output: 0.015, match: "exact", priceID: "anthropic/claude-sonnet-4-5"}},
		{"crossing the tier moves the whole request", apr2026,
			chat("anthropic", "claude-sonnet-4-5", in, 200_001, out, 1_000),
			want{total: 1.222506, input: 1.200006, output: 0.0225, match: "exact", priceID: "anthropic/claude-sonnet-4-5"}},
		{"272k tier counts cached input towards the threshold", apr2026,
			chat("openai", "gpt-5.4", in, 300_000, cr, 100_000, out, 20_000),
			want{total: 1.5, input: 1.0, output: 0.45, cacheRead: 0.05, match: "exact", priceID: "openai/gpt-5.4"}},
		{"day before the o3 price change", time.Date(2025, 6, 9, 23, 59, 59, 0, time.UTC),
			chat("openai", "o3", in, 1_000_000, out, 1_000_000),
			want{total: 50, input: 10, output: 40, match: "exact", priceID: "openai/o3"}},
		{"first instant of the o3 price change", time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC),
			chat("openai", "o3", in, 1_000_000, out, 1_000_000),
			want{total: 10, input: 2, output: 8, match: "exact", priceID: "openai/o3"}},
		{"before the first price row is unpriced", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
			chat("openai", "o3", in, 1000, out, 1000),
			want{unpriced: true}},
		{"flex service tier", jul2025,
			chat("openai", "o3", rtr, "flex", in, 1_000_000, out, 1_000_000),
			want{total: 5, input: 1, output: 4, match: "exact", priceID: "openai/o3"}},
		{"priority tier from the request when the response has none", jul2025,
			chat("openai", "o3", qtr, "priority", in, 1_000_000, out, 1_000_000, cr, 200_000),
			want{total: 16.975, input: 2.8, output: 14, cacheRead: 0.175, match: "exact", priceID: "openai/o3"}},
		{"response tier wins over requested tier", jul2025,
			chat("openai", "o3", qtr, "priority", rtr, "default", in, 1_000_000, out, 1_000_000),
			want{total: 10, input: 2, output: 8, match: "exact", priceID: "openai/o3"}},
		{"tier without a price is unpriced, not billed at base", jul2025,
			chat("openai", "o3", rtr, "scale", in, 1000, out, 1000),
			want{unpriced: true}},
		{"batch modifier", jan2025,
			chat("openai", "gpt-4o", "llmotel.request.batch", true, in, 1_000_000, out, 1_000_000),
			want{total: 6.25, input: 1.25, output: 5, match: "exact", priceID: "openai/gpt-4o"}},
		{"batch without a batch price is unpriced", jan2025,
			chat("openai", "gpt-4o-2024-05-13", "llmotel.request.batch", true, in, 1000, out, 1000),
			want{unpriced: true}},
		{"embeddings have input only", jan2025,
			map[string]any{costattr.OperationName: "embeddings", costattr.ProviderName: "openai", costattr.RequestModel: "text-embedding-3-small", in: 1_234_567},
			want{total: 0.02469134, input: 0.02469134, match: "exact", priceID: "openai/text-embedding-3-small"}},
		{"missing usage is unpriced", jan2025,
			chat("openai", "gpt-4o"),
			want{unpriced: true}},
		{"cache larger than input is unpriced, not guessed", apr2026,
			chat("anthropic", "claude-sonnet-4-5", in, 100, cr, 5_000, out, 10),
			want{unpriced: true}},
		{"whole-number double token counts are read", jan2025,
			chat("openai", "gpt-4o", in, 1000.0, out, 500.0),
			want{total: 0.0075, input: 0.0025, output: 0.005, match: "exact", priceID: "openai/gpt-4o"}},
		{"tool spans are not priced", jan2025,
			map[string]any{costattr.OperationName: "execute_tool", in: 1000, out: 500},
			want{untouched: true}},
		{"agent spans carrying aggregated usage are not priced twice", jan2025,
			map[string]any{costattr.OperationName: "invoke_agent", costattr.ProviderName: "openai", costattr.RequestModel: "gpt-4o", in: 1000, out: 500},
			want{untouched: true}},
		{"non-GenAI spans are left alone", jan2025,
			map[string]any{"http.request.method": "GET"},
			want{untouched: true}},
		{"exact to the cent on a large bill", jan2025,
			chat("openai", "gpt-4o", in, 123_456_789, out, 9_876_543),
			want{total: 407.4074025, input: 308.6419725, output: 98.76543, match: "exact", priceID: "openai/gpt-4o"}},
	}
	p := newTestProcessor(t, fixtureTable)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := tracesWith(c.start, c.attrs)
			out, err := p.processTraces(context.Background(), td)
			if err != nil {
				t.Fatal(err)
			}
			checkSpan(t, spanAttrs(out), c.want, "test-1")
		})
	}
}

func TestAlreadyPricedSpanIsNotRepriced(t *testing.T) {
	p := newTestProcessor(t, fixtureTable)
	attrs := chat("openai", "gpt-4o", in, 1000, out, 500, costattr.CostTotal, 1.0, costattr.CostTableVersion, "older")
	td, err := p.processTraces(context.Background(), tracesWith(jan2025, attrs))
	if err != nil {
		t.Fatal(err)
	}
	a := spanAttrs(td)
	if v, _ := a.Get(costattr.CostTotal); v.Double() != 1.0 {
		t.Errorf("total changed to %v", v.Double())
	}
	if v, _ := a.Get(costattr.CostTableVersion); v.Str() != "older" {
		t.Errorf("version changed to %q", v.Str())
	}
}

func TestSkippedScopeIsNotPriced(t *testing.T) {
	call := chat("anthropic", "claude-sonnet-4-5", in, 1000, out, 100)
	for _, c := range []struct {
		name       string
		skipScopes []string
		want       want
	}{
		{"default skips the anthropic SDK's own span", nil, want{untouched: true}},
		{"skip_scopes: [] prices it", []string{}, want{total: 0.0045, input: 0.003, output: 0.0015, match: "exact", priceID: "anthropic/claude-sonnet-4-5"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.PriceTable = fixtureTable
			if c.skipScopes != nil {
				cfg.SkipScopes = c.skipScopes
			}
			p, err := newCostProcessor(processortest.NewNopSettings(metadata.Type), cfg)
			if err != nil {
				t.Fatal(err)
			}
			td := tracesWith(apr2026, call)
			td.ResourceSpans().At(0).ScopeSpans().At(0).Scope().SetName("com.anthropic.sdk.python")
			td, _ = p.processTraces(context.Background(), td)
			checkSpan(t, spanAttrs(td), c.want, "test-1")
		})
	}
}

func TestSpanTimeFallsBackToEndTimestamp(t *testing.T) {
	p := newTestProcessor(t, fixtureTable)
	td := tracesWith(time.Time{}, chat("openai", "o3", in, 1_000_000, out, 1_000_000))
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	span.SetStartTimestamp(0)
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)))
	td, _ = p.processTraces(context.Background(), td)
	checkSpan(t, spanAttrs(td), want{total: 50, input: 10, output: 40, match: "exact", priceID: "openai/o3"}, "test-1")
}

// TestThroughFactory runs spans through the processor the collector builds,
// with its consumer chain, start and shutdown.
func TestThroughFactory(t *testing.T) {
	sink := new(consumertest.TracesSink)
	proc := createFromFactory(t, fixtureTable, 0, sink)
	if err := proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := proc.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if !proc.Capabilities().MutatesData {
		t.Error("the processor sets attributes, so it must declare MutatesData")
	}
	if err := proc.ConsumeTraces(context.Background(), tracesWith(jan2025, chat("openai", "gpt-4o", in, 1000, out, 500))); err != nil {
		t.Fatal(err)
	}
	if len(sink.AllTraces()) != 1 {
		t.Fatalf("want one batch downstream, got %d", len(sink.AllTraces()))
	}
	checkSpan(t, spanAttrs(sink.AllTraces()[0]), want{total: 0.0075, input: 0.0025, output: 0.005, match: "exact", priceID: "openai/gpt-4o"}, "test-1")
}

func TestMalformedTableFailsAtCreate(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.PriceTable = "testdata/malformed/unknown_key.yaml"
	_, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, new(consumertest.TracesSink))
	if err == nil {
		t.Fatal("created a processor from a malformed table")
	}
	const wantMsg = "llmcost: testdata/malformed/unknown_key.yaml:13: models[0].prices[0].inptu: unknown key"
	if got := err.Error(); len(got) < len(wantMsg) || got[:len(wantMsg)] != wantMsg {
		t.Fatalf("error %q\nwant prefix %q", got, wantMsg)
	}
	cfg.PriceTable = "testdata/nope.yaml"
	if _, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, new(consumertest.TracesSink)); err == nil {
		t.Fatal("created a processor from a missing table")
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"default with a table is valid", func(c *Config) {}, ""},
		{"no table", func(c *Config) { c.PriceTable = "" }, "llmcost: price_table is empty; set it to the path of prices.yaml"},
		{"negative reload", func(c *Config) { c.ReloadInterval = -time.Second }, "llmcost: reload_interval -1s is negative"},
		{"too frequent reload", func(c *Config) { c.ReloadInterval = time.Millisecond }, "llmcost: reload_interval 1ms is shorter than 100ms"},
		{"reload off", func(c *Config) { c.ReloadInterval = 0 }, ""},
		{"no operations", func(c *Config) { c.Operations = nil }, "llmcost: operations is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.PriceTable = fixtureTable
			c.mutate(cfg)
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.want != "" && (err == nil || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want):
				t.Fatalf("error %v; want prefix %q", err, c.want)
			}
		})
	}
}

// ---- helpers

func newTestProcessor(t testing.TB, table string) *costProcessor {
	t.Helper()
	cfg := createDefaultConfig()
	cfg.PriceTable = table
	cfg.ReloadInterval = 0
	p, err := newCostProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func createFromFactory(t *testing.T, table string, reload time.Duration, next *consumertest.TracesSink) processor.Traces {
	t.Helper()
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.PriceTable = table
	cfg.ReloadInterval = reload
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	proc, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	return proc
}

func tracesWith(start time.Time, attrs map[string]any) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat")
	if !start.IsZero() {
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
	}
	if err := span.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return td
}

func spanAttrs(td ptrace.Traces) pcommon.Map {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
}

var costKeys = []string{
	costattr.CostTotal, costattr.CostInput, costattr.CostOutput, costattr.CostCacheRead,
	costattr.CostCacheWrite, costattr.CostMatch, costattr.CostPriceID, costattr.CostTableVersion,
}

func checkSpan(t *testing.T, a pcommon.Map, w want, version string) {
	t.Helper()
	_, hasUnpriced := a.Get(costattr.CostUnpriced)
	if w.untouched {
		for _, k := range append(costKeys, costattr.CostUnpriced) {
			if _, ok := a.Get(k); ok {
				t.Errorf("span should be untouched but has %s", k)
			}
		}
		return
	}
	if w.unpriced {
		if v, ok := a.Get(costattr.CostUnpriced); !ok || !v.Bool() {
			t.Errorf("want %s=true", costattr.CostUnpriced)
		}
		for _, k := range costKeys {
			if _, ok := a.Get(k); ok {
				t.Errorf("unpriced span must carry no cost attribute, has %s", k)
			}
		}
		return
	}
	if hasUnpriced {
		t.Errorf("priced span marked unpriced")
	}
	for _, f := range []struct {
		key  string
		want float64
	}{
		{costattr.CostTotal, w.total}, {costattr.CostInput, w.input}, {costattr.CostOutput, w.output},
		{costattr.CostCacheRead, w.cacheRead}, {costattr.CostCacheWrite, w.cacheWrt},
	} {
		v, ok := a.Get(f.key)
		if !ok || v.Type() != pcommon.ValueTypeDouble {
			t.Errorf("%s missing or not a double", f.key)
			continue
		}
		// Exact: the processor computes in integer femto-USD, so the double
		// is the correctly rounded decimal, equal to the literal.
		if v.Double() != f.want {
			t.Errorf("%s = %.15g; want %.15g", f.key, v.Double(), f.want)
		}
		if math.Round(v.Double()*100) != math.Round(f.want*100) {
			t.Errorf("%s is not exact to the cent", f.key)
		}
	}
	for _, f := range []struct{ key, want string }{
		{costattr.CostMatch, w.match}, {costattr.CostPriceID, w.priceID}, {costattr.CostTableVersion, version},
	} {
		if v, ok := a.Get(f.key); !ok || v.Str() != f.want {
			t.Errorf("%s = %q; want %q", f.key, v.AsString(), f.want)
		}
	}
}
