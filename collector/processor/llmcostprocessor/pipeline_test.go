package llmcostprocessor

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/llmcostconnector"
)

// TestPriceChangeNeverRepricesPastUsage wires the processor into the
// connector as the gateway does (processor -> connector, before any
// sampling) and changes the price table between two calls: the counter keeps
// the first call at the old price and adds the second at the new one.
func TestPriceChangeNeverRepricesPastUsage(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t)
	p := newTestProcessor(t, path)

	sink := new(consumertest.MetricsSink)
	cf := llmcostconnector.NewFactory()
	conn, err := cf.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(metadata.Type), cf.CreateDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	call := func() {
		td, err := p.processTraces(ctx, tracesWith(jan2025, gpt4oMillion))
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.ConsumeTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	call()                                       // $2.50 under test-1
	writeTable(t, path, tableV2(t), time.Second) // gpt-4o input corrected to $3.00
	p.reloadIfChanged()
	call() // $3.00 under test-2
	if err := conn.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	md := sink.AllMetrics()
	if len(md) != 1 {
		t.Fatalf("want one flush at shutdown, got %d", len(md))
	}
	total := sumMetric(md[0], costattr.MetricCostUSD)
	if total != 5.5 {
		t.Fatalf("llmotel.cost.usd = %v; want 2.50 + 3.00 = 5.5", total)
	}
}

func sumMetric(md pmetric.Metrics, name string) float64 {
	var total float64
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if ms.At(k).Name() != name {
					continue
				}
				dps := ms.At(k).Sum().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					total += dps.At(d).DoubleValue()
				}
			}
		}
	}
	return total
}
