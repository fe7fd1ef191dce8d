// Package metadata holds the component type and stability of the llmcost
// processor and connector. It is written by hand (mdatagen is not
// go-installable at v0.159.0) and mirrors metadata.yaml.
package metadata

import "go.opentelemetry.io/collector/component"

// Type is the component type shared by the llmcost processor and the llmcost
// connector; the collector keeps processor and connector types apart, so one
// name serves both.
var Type = component.MustNewType("llmcost")

const (
	// TracesStability is the stability of the processor's traces pipeline.
	TracesStability = component.StabilityLevelAlpha
	// TracesToMetricsStability is the stability of the connector.
	TracesToMetricsStability = component.StabilityLevelAlpha
)
