package llmcostprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchBatch is a batch of 100 chat spans of mixed models, cache usage and
// one unknown model, as a gateway sees them.
func benchBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	kinds := []map[string]any{
		chat("openai", "gpt-4o", resp, "gpt-4o-2024-08-06", in, 1200, out, 300, cr, 1024),
		chat("anthropic", "claude-sonnet-4-5", in, 250_000, cr, 200_000, cc, 1_000, out, 800),
		chat("openai", "o3", rtr, "flex", in, 5000, out, 9000),
		chat("openai", "gpt-9", in, 10, out, 10),
	}
	for i := 0; i < 100; i++ {
		span := ss.Spans().AppendEmpty()
		_ = span.Attributes().FromRaw(kinds[i%len(kinds)])
		span.SetStartTimestamp(1_760_000_000_000_000_000)
	}
	return td
}

// BenchmarkProcessTraces reports the cost of pricing 100 spans against a
// baseline that copies the same batch without pricing it (the copy is
// needed in both, because pricing mutates the batch), in the same run:
// llmcost's own cost is the difference per span.
func BenchmarkProcessTraces(b *testing.B) {
	src := benchBatch()
	b.Run("baseline_copy", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			td := ptrace.NewTraces()
			src.CopyTo(td)
		}
	})
	b.Run("llmcost", func(b *testing.B) {
		p := newTestProcessor(b, fixtureTable)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			td := ptrace.NewTraces()
			src.CopyTo(td)
			if _, err := p.processTraces(context.Background(), td); err != nil {
				b.Fatal(err)
			}
		}
	})
}
