// Package llmcostprocessor prices GenAI spans with llmotel's price table and
// sets llmotel.cost.* attributes on them. The llmcost connector in the
// llmcostconnector package turns those attributes into cost metrics.
package llmcostprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
)

// NewFactory returns the factory of the llmcost processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		processor.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	// The table is loaded here rather than in Start so that a malformed
	// table also fails `llmotelcol validate`, which builds every component.
	p, err := newCostProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	)
}
