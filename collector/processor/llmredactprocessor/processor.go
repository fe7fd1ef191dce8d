package llmredactprocessor

import (
	"context"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const (
	// Shared names (semconv/registry.yaml): the SDK uses the same attribute and metric, so a
	// span redacted in both layers carries the sum of both counts.
	attrRedactionCount = "llmotel.redaction.count"
	metricRedactions   = "llmotel.redactions"
	attrEntity         = "llmotel.redaction.entity"
	// attrContentTruncated marks a span or log record whose content was cut to max_content_bytes.
	attrContentTruncated = "llmotel.content.truncated"
	scopeName            = "github.com/llmotel/llmotel/collector/processor/llmredactprocessor"
)

type redactionProcessor struct {
	cfg         *Config
	redactor    *redactor
	contentKeys map[string]bool
	ignoredKeys map[string]bool
	redactions  metric.Int64Counter
	// entityAttrs caches one attribute set per entity so counting does not allocate.
	entityAttrs map[string]metric.AddOption
}

func newRedactionProcessor(set processor.Settings, cfg *Config) (*redactionProcessor, error) {
	rd, err := newRedactor(cfg)
	if err != nil {
		return nil, err
	}
	counter, err := set.MeterProvider.Meter(scopeName).Int64Counter(
		metricRedactions,
		metric.WithUnit("{redaction}"),
		metric.WithDescription("Values masked by the collector's redaction safety net, by entity."),
	)
	if err != nil {
		return nil, err
	}
	p := &redactionProcessor{
		cfg:         cfg,
		redactor:    rd,
		contentKeys: toSet(cfg.ContentKeys),
		ignoredKeys: toSet(cfg.IgnoredKeys),
		redactions:  counter,
		entityAttrs: map[string]metric.AddOption{},
	}
	for _, r := range rd.rules {
		p.entityAttrs[r.entity] = metric.WithAttributeSet(attribute.NewSet(attribute.String(attrEntity, r.entity)))
	}
	return p, nil
}

func toSet(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// result collects what happened to one span or log record.
type result struct {
	found     counts
	truncated bool
}

func (p *redactionProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				p.processSpan(ctx, spans.At(k))
			}
		}
	}
	return td, nil
}

func (p *redactionProcessor) processSpan(ctx context.Context, span ptrace.Span) {
	res := result{found: counts{}}
	p.redactAttributes(span.Attributes(), &res)
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		p.redactAttributes(events.At(i).Attributes(), &res)
	}
	if msg := span.Status().Message(); msg != "" && p.cfg.ScanOtherAttributes {
		if out := p.redactor.redact(msg, false, res.found); out != msg {
			span.Status().SetMessage(out)
		}
	}
	p.record(ctx, span.Attributes(), &res)
}

func (p *redactionProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				lr := records.At(k)
				res := result{found: counts{}}
				p.redactAttributes(lr.Attributes(), &res)
				// A log body is content (an event payload or a free-text message).
				p.redactValue(lr.Body(), true, &res)
				p.record(ctx, lr.Attributes(), &res)
			}
		}
	}
	return ld, nil
}

// record adds the counts to the item's llmotel.redaction.count and to the metric.
func (p *redactionProcessor) record(ctx context.Context, attrs pcommon.Map, res *result) {
	if res.truncated {
		attrs.PutBool(attrContentTruncated, true)
	}
	total := res.found.total()
	if total == 0 {
		return
	}
	previous := int64(0)
	if v, ok := attrs.Get(attrRedactionCount); ok && v.Type() == pcommon.ValueTypeInt {
		previous = v.Int()
	}
	attrs.PutInt(attrRedactionCount, previous+int64(total))
	for entity, n := range res.found {
		p.redactions.Add(ctx, int64(n), p.entityAttrs[entity])
	}
}

func (p *redactionProcessor) redactAttributes(attrs pcommon.Map, res *result) {
	attrs.Range(func(key string, v pcommon.Value) bool {
		if p.ignoredKeys[key] || key == attrRedactionCount {
			return true
		}
		content := p.contentKeys[key]
		if !content && !p.cfg.ScanOtherAttributes {
			return true
		}
		p.redactValue(v, content, res)
		return true
	})
}

// redactValue redacts a string in place, or every string inside a slice or map.
func (p *redactionProcessor) redactValue(v pcommon.Value, content bool, res *result) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		in := v.Str()
		out := p.redactor.redact(in, content, res.found)
		if content {
			var cut bool
			out, cut = truncateUTF8(out, p.cfg.MaxContentBytes)
			res.truncated = res.truncated || cut
		}
		if out != in {
			v.SetStr(out)
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			p.redactValue(s.At(i), content, res)
		}
	case pcommon.ValueTypeMap:
		v.Map().Range(func(_ string, inner pcommon.Value) bool {
			p.redactValue(inner, content, res)
			return true
		})
	}
}
