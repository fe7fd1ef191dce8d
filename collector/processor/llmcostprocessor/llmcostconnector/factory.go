// Package llmcostconnector is the llmcost traces-to-metrics connector: it sums
// the llmotel.cost.* attributes that the llmcost processor put on spans into
// the cumulative counters llmotel.cost.usd and llmotel.cost.unpriced_tokens.
// Placed before tail sampling in the gateway, it sees every span once, so the
// totals stay exact however traces are sampled afterwards.
package llmcostconnector

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
)

// NewFactory returns the factory of the llmcost connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability),
	)
}

func createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	return newCostConnector(set, cfg.(*Config), next), nil
}
