package llmcostconnector

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/periodic"
)

const scopeName = "github.com/llmotel/llmotel/collector/processor/llmcostprocessor/llmcostconnector"

// overflowAttr marks the series that collects spans beyond max_series.
const overflowAttr = "otel.metric.overflow"

// seriesKey is one data point of one metric of one resource.
type seriesKey struct {
	resource  string // resourceKey of the emitted resource
	unpriced  bool   // false: llmotel.cost.usd, true: llmotel.cost.unpriced_tokens
	overflow  bool
	provider  string
	reqModel  string
	respModel string
	kind      string // llmotel.cost.token_type or gen_ai.token.type
}

type series struct {
	start pcommon.Timestamp
	usd   float64
	// tokens is exact; unpriced token counts are integers.
	tokens int64
}

type costConnector struct {
	cfg        *Config
	logger     *zap.Logger
	next       consumer.Metrics
	instanceID string

	mu        sync.Mutex
	resources map[string]pcommon.Map // resourceKey -> attributes to emit
	series    map[seriesKey]*series
	order     []seriesKey // emission order, stable across flushes

	flusher periodic.Loop
}

func newCostConnector(set connector.Settings, cfg *Config, next consumer.Metrics) *costConnector {
	c := &costConnector{
		cfg:       cfg,
		logger:    set.Logger,
		next:      next,
		resources: map[string]pcommon.Map{},
		series:    map[seriesKey]*series{},
	}
	if cfg.CollectorInstanceID {
		if v, ok := set.Resource.Attributes().Get("service.instance.id"); ok {
			c.instanceID = v.AsString()
		}
	}
	return c
}

func (c *costConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (c *costConnector) Start(context.Context, component.Host) error {
	c.flusher.Start(c.cfg.FlushInterval, func() { c.flush(context.Background()) })
	return nil
}

// Shutdown emits the final totals so a clean restart loses nothing.
func (c *costConnector) Shutdown(ctx context.Context) error {
	c.flusher.Stop()
	c.flush(ctx)
	return nil
}

func (c *costConnector) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	now := pcommon.NewTimestampFromTime(time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		resKey := ""
		resolved := false
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				attrs := spans.At(k).Attributes()
				total, priced := attrs.Get(costattr.CostTotal)
				unpriced := boolAttr(attrs, costattr.CostUnpriced)
				if (!priced || total.Type() != pcommon.ValueTypeDouble) && !unpriced {
					continue
				}
				if !resolved {
					resKey = c.resourceKey(rs.Resource())
					resolved = true
				}
				base := seriesKey{
					resource:  resKey,
					provider:  strAttr(attrs, costattr.ProviderName),
					reqModel:  strAttr(attrs, costattr.RequestModel),
					respModel: strAttr(attrs, costattr.ResponseModel),
				}
				if unpriced {
					base.unpriced = true
					c.addTokens(base, costattr.TokenTypeInput, attrs, costattr.InputTokens, now)
					c.addTokens(base, costattr.TokenTypeOutput, attrs, costattr.OutputTokens, now)
					continue
				}
				c.addUSD(base, costattr.TokenTypeInput, attrs, costattr.CostInput, now)
				c.addUSD(base, costattr.TokenTypeOutput, attrs, costattr.CostOutput, now)
				c.addUSD(base, costattr.TokenTypeCacheRead, attrs, costattr.CostCacheRead, now)
				c.addUSD(base, costattr.TokenTypeCacheWrite, attrs, costattr.CostCacheWrite, now)
			}
		}
	}
	return nil
}

// resourceKey registers the emitted resource of a span resource and returns
// its key; the key is the values of the configured attributes.
func (c *costConnector) resourceKey(res pcommon.Resource) string {
	var b strings.Builder
	for _, k := range c.cfg.ResourceAttributes {
		if v, ok := res.Attributes().Get(k); ok {
			b.WriteString(v.AsString())
		}
		b.WriteByte(0)
	}
	key := b.String()
	if _, ok := c.resources[key]; !ok {
		m := pcommon.NewMap()
		for _, k := range c.cfg.ResourceAttributes {
			if v, ok := res.Attributes().Get(k); ok {
				v.CopyTo(m.PutEmpty(k))
			}
		}
		if c.instanceID != "" {
			m.PutStr("service.instance.id", c.instanceID)
		}
		c.resources[key] = m
	}
	return key
}

func (c *costConnector) get(key seriesKey, now pcommon.Timestamp) *series {
	if s, ok := c.series[key]; ok {
		return s
	}
	if len(c.series) >= c.cfg.MaxSeries {
		key = seriesKey{resource: key.resource, unpriced: key.unpriced, overflow: true}
		if s, ok := c.series[key]; ok {
			return s
		}
		c.logger.Warn("llmcost connector reached max_series; further series are summed into the overflow series",
			zap.Int("max_series", c.cfg.MaxSeries))
	}
	s := &series{start: now}
	c.series[key] = s
	c.order = append(c.order, key)
	return s
}

func (c *costConnector) addUSD(base seriesKey, kind string, attrs pcommon.Map, attr string, now pcommon.Timestamp) {
	v, ok := attrs.Get(attr)
	if !ok || v.Type() != pcommon.ValueTypeDouble || v.Double() <= 0 {
		return
	}
	base.kind = kind
	c.get(base, now).usd += v.Double()
}

func (c *costConnector) addTokens(base seriesKey, kind string, attrs pcommon.Map, attr string, now pcommon.Timestamp) {
	v, ok := attrs.Get(attr)
	if !ok || v.Type() != pcommon.ValueTypeInt || v.Int() <= 0 {
		return
	}
	base.kind = kind
	c.get(base, now).tokens += v.Int()
}

// flush emits every series as a cumulative monotonic sum.
func (c *costConnector) flush(ctx context.Context) {
	md := c.snapshot()
	if md.DataPointCount() == 0 {
		return
	}
	if err := c.next.ConsumeMetrics(ctx, md); err != nil {
		c.logger.Warn("llmcost connector could not pass cost metrics on; the totals are kept and re-sent next flush", zap.Error(err))
	}
}

func (c *costConnector) snapshot() pmetric.Metrics {
	now := pcommon.NewTimestampFromTime(time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	md := pmetric.NewMetrics()
	type perResource struct {
		usd, tokens pmetric.NumberDataPointSlice
	}
	byRes := map[string]*perResource{}
	for _, key := range c.order {
		pr := byRes[key.resource]
		if pr == nil {
			rm := md.ResourceMetrics().AppendEmpty()
			c.resources[key.resource].CopyTo(rm.Resource().Attributes())
			sm := rm.ScopeMetrics().AppendEmpty()
			sm.Scope().SetName(scopeName)
			pr = &perResource{
				usd:    newSum(sm, costattr.MetricCostUSD, "{USD}", "Cost of GenAI calls in USD, priced once per span by the llmcost processor."),
				tokens: newSum(sm, costattr.MetricUnpricedTok, "{token}", "Tokens of GenAI calls that no price table entry priced."),
			}
			byRes[key.resource] = pr
		}
		s := c.series[key]
		var dp pmetric.NumberDataPoint
		if key.unpriced {
			dp = pr.tokens.AppendEmpty()
			dp.SetIntValue(s.tokens)
		} else {
			dp = pr.usd.AppendEmpty()
			dp.SetDoubleValue(s.usd)
		}
		dp.SetStartTimestamp(s.start)
		dp.SetTimestamp(now)
		a := dp.Attributes()
		if key.overflow {
			a.PutBool(overflowAttr, true)
			continue
		}
		a.PutStr(costattr.ProviderName, key.provider)
		a.PutStr(costattr.RequestModel, key.reqModel)
		a.PutStr(costattr.ResponseModel, key.respModel)
		if key.unpriced {
			a.PutStr(costattr.TokenType, key.kind)
		} else {
			a.PutStr(costattr.CostTokenType, key.kind)
		}
	}
	// Drop a metric that has no points for this resource (e.g. nothing unpriced).
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rms.At(i).ScopeMetrics().At(0).Metrics().RemoveIf(func(m pmetric.Metric) bool {
			return m.Sum().DataPoints().Len() == 0
		})
	}
	return md
}

func newSum(sm pmetric.ScopeMetrics, name, unit, description string) pmetric.NumberDataPointSlice {
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(description)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return sum.DataPoints()
}

func strAttr(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func boolAttr(attrs pcommon.Map, key string) bool {
	v, ok := attrs.Get(key)
	return ok && v.Type() == pcommon.ValueTypeBool && v.Bool()
}
