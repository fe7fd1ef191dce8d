package llmcostprocessor

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/periodic"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/pricing"
)

// fileStamp identifies one version of the table file cheaply (no read).
type fileStamp struct {
	modTime time.Time
	size    int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{modTime: fi.ModTime(), size: fi.Size()}, nil
}

type costProcessor struct {
	cfg    *Config
	logger *zap.Logger

	table atomic.Pointer[pricing.Table]

	operations     map[string]struct{}
	standardTiers  map[string]struct{}
	skipScopes     map[string]struct{}
	tierAttributes []string

	// stamp is the file version of the current table, or of the last
	// rejected one, so that a bad file is reported once, not every poll.
	stamp fileStamp

	poller periodic.Loop
}

func newCostProcessor(set processor.Settings, cfg *Config) (*costProcessor, error) {
	p := &costProcessor{
		cfg:            cfg,
		logger:         set.Logger,
		operations:     toSet(cfg.Operations),
		standardTiers:  toSet(cfg.StandardServiceTiers),
		skipScopes:     toSet(cfg.SkipScopes),
		tierAttributes: cfg.ServiceTierAttributes,
	}
	stamp, err := stampOf(cfg.PriceTable)
	if err != nil {
		return nil, fmt.Errorf("llmcost: price_table: %w; point price_table at an existing prices.yaml", err)
	}
	t, err := pricing.LoadFile(cfg.PriceTable)
	if err != nil {
		return nil, fmt.Errorf("llmcost: %w", err)
	}
	p.table.Store(t)
	p.stamp = stamp
	p.logger.Info("llmcost price table loaded",
		zap.String("path", cfg.PriceTable), zap.String("version", t.Version), zap.Int("entries", len(t.Entries)))
	return p, nil
}

func toSet(values []string) map[string]struct{} {
	out := make(map[string]struct{}, len(values))
	for _, v := range values {
		out[v] = struct{}{}
	}
	return out
}

func (p *costProcessor) start(context.Context, component.Host) error {
	if p.cfg.ReloadInterval > 0 {
		p.poller.Start(p.cfg.ReloadInterval, p.reloadIfChanged)
	}
	return nil
}

func (p *costProcessor) shutdown(context.Context) error {
	p.poller.Stop()
	return nil
}

// reloadIfChanged swaps in a changed table file. A table that fails to load
// is logged and the last good table stays in use: a typo in a price must not
// stop cost accounting.
func (p *costProcessor) reloadIfChanged() {
	stamp, err := stampOf(p.cfg.PriceTable)
	if err != nil {
		if p.stamp != (fileStamp{}) {
			p.logger.Error("llmcost price table unreadable; keeping the last good table",
				zap.String("path", p.cfg.PriceTable), zap.Error(err), zap.String("version_in_use", p.table.Load().Version))
			p.stamp = fileStamp{}
		}
		return
	}
	if stamp == p.stamp {
		return
	}
	p.stamp = stamp
	t, err := pricing.LoadFile(p.cfg.PriceTable)
	if err != nil {
		p.logger.Error("llmcost price table rejected; keeping the last good table",
			zap.Error(err), zap.String("version_in_use", p.table.Load().Version))
		return
	}
	old := p.table.Swap(t)
	p.logger.Info("llmcost price table reloaded",
		zap.String("path", p.cfg.PriceTable), zap.String("version", t.Version),
		zap.String("previous_version", old.Version), zap.Int("entries", len(t.Entries)))
}

func (p *costProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	// One table for the whole batch, so a reload mid-batch cannot mix versions.
	t := p.table.Load()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			if _, skip := p.skipScopes[sss.At(j).Scope().Name()]; skip {
				continue
			}
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				p.priceSpan(t, spans.At(k))
			}
		}
	}
	return td, nil
}

func (p *costProcessor) priceSpan(t *pricing.Table, span ptrace.Span) {
	attrs := span.Attributes()
	op, ok := attrs.Get(costattr.OperationName)
	if !ok {
		return
	}
	if _, priced := p.operations[op.Str()]; !priced {
		return
	}
	// Already priced (or marked) upstream: never price a call twice.
	if _, done := attrs.Get(costattr.CostTableVersion); done {
		return
	}
	if _, done := attrs.Get(costattr.CostUnpriced); done {
		return
	}
	res, ok := p.price(t, span)
	if !ok {
		attrs.PutBool(costattr.CostUnpriced, true)
		return
	}
	c := res.cost
	// Eight attributes are added: grow the map once instead of several times.
	attrs.EnsureCapacity(attrs.Len() + 8)
	attrs.PutDouble(costattr.CostTotal, c.Total.USD())
	attrs.PutDouble(costattr.CostInput, c.Input.USD())
	attrs.PutDouble(costattr.CostOutput, c.Output.USD())
	attrs.PutDouble(costattr.CostCacheRead, c.CacheRead.USD())
	attrs.PutDouble(costattr.CostCacheWrite, c.CacheWrite.USD())
	attrs.PutStr(costattr.CostMatch, string(res.match))
	attrs.PutStr(costattr.CostPriceID, res.entry.ID)
	attrs.PutStr(costattr.CostTableVersion, t.Version)
}

type priced struct {
	cost  pricing.Cost
	entry *pricing.Entry
	match pricing.MatchKind
}

// price returns the cost of a span, or false when the span cannot be priced
// without guessing: no usage, no provider, no matching entry, no row in force
// at the span's time, an unknown service tier, or inconsistent usage.
func (p *costProcessor) price(t *pricing.Table, span ptrace.Span) (priced, bool) {
	attrs := span.Attributes()
	usage, ok := usageOf(attrs)
	if !ok {
		return priced{}, false
	}
	provider := stringAttr(attrs, costattr.ProviderName)
	if provider == "" {
		return priced{}, false
	}
	entry, match, ok := t.Lookup(provider, stringAttr(attrs, costattr.ResponseModel))
	if !ok {
		entry, match, ok = t.Lookup(provider, stringAttr(attrs, costattr.RequestModel))
		if !ok {
			return priced{}, false
		}
	}
	row := entry.RowAt(spanTime(span))
	if row == nil {
		return priced{}, false
	}
	rates, ok := p.rateSetFor(row, attrs)
	if !ok {
		return priced{}, false
	}
	cost, ok := rates.Price(usage)
	if !ok {
		return priced{}, false
	}
	return priced{cost: cost, entry: entry, match: match}, true
}

// rateSetFor picks the batch or service-tier modifier the span asks for.
func (p *costProcessor) rateSetFor(row *pricing.PriceRow, attrs pcommon.Map) (*pricing.RateSet, bool) {
	if p.cfg.BatchAttribute != "" {
		if v, ok := attrs.Get(p.cfg.BatchAttribute); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
			rs, ok := row.Modifiers["batch"]
			return rs, ok
		}
	}
	for _, key := range p.tierAttributes {
		tier := stringAttr(attrs, key)
		if tier == "" {
			continue
		}
		if _, std := p.standardTiers[tier]; std {
			return &row.RateSet, true
		}
		rs, ok := row.Modifiers[tier]
		return rs, ok
	}
	return &row.RateSet, true
}

// spanTime is when the call was made: the price in force at the span's start
// applies (a call straddling a price change is billed at the old price).
func spanTime(span ptrace.Span) time.Time {
	if ts := span.StartTimestamp(); ts != 0 {
		return ts.AsTime()
	}
	if ts := span.EndTimestamp(); ts != 0 {
		return ts.AsTime()
	}
	return time.Now()
}

func stringAttr(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// intAttr reads a token count; SDKs send ints, but a whole-number double
// (from a converter that lost the type) is accepted too.
func intAttr(attrs pcommon.Map, key string) (int64, bool) {
	v, ok := attrs.Get(key)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if d == float64(int64(d)) {
			return int64(d), true
		}
	}
	return 0, false
}

// usageOf reads semconv usage. At least one of input or output tokens must be
// present; the cache counts fall back from the newest name to v1.41's.
func usageOf(attrs pcommon.Map) (pricing.Usage, bool) {
	var u pricing.Usage
	in, hasIn := intAttr(attrs, costattr.InputTokens)
	out, hasOut := intAttr(attrs, costattr.OutputTokens)
	if !hasIn && !hasOut {
		return u, false
	}
	u.Input, u.Output = in, out
	u.CacheRead, _ = intAttr(attrs, costattr.CacheReadTokens)
	var ok bool
	if u.CacheWrite, ok = intAttr(attrs, costattr.CacheWriteTokens); !ok {
		u.CacheWrite, _ = intAttr(attrs, costattr.CacheCreateTokens)
	}
	return u, true
}
