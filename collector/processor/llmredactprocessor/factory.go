// Package llmredactprocessor is llmotel's collector-side safety net for prompts, completions
// and tool payloads: it masks structured PII and secrets in span attributes, span events and
// log records, counts every redaction, and caps content size after redaction.
package llmredactprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

const typeStr = "llmredact"

var componentType = component.MustNewType(typeStr)

// NewFactory returns the factory of the llmredact processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		componentType,
		createDefaultConfig,
		processor.WithTraces(createTraces, component.StabilityLevelAlpha),
		processor.WithLogs(createLogs, component.StabilityLevelAlpha),
	)
}

// DefaultContentKeys are the GenAI semconv content attributes (opt-in in the SDK) plus the
// tool-call payloads, which carry the same personal data as messages.
var DefaultContentKeys = []string{
	"gen_ai.input.messages",
	"gen_ai.output.messages",
	"gen_ai.system_instructions",
	"gen_ai.tool.definitions",
	"gen_ai.tool.call.arguments",
	"gen_ai.tool.call.result",
	"gen_ai.prompt",
	"gen_ai.completion",
}

// DefaultIgnoredKeys are identifiers, model names and versions: scanning them could only
// damage them (a response id may hold a digit run that looks like a phone number).
var DefaultIgnoredKeys = []string{
	"gen_ai.operation.name",
	"gen_ai.provider.name",
	"gen_ai.system",
	"gen_ai.request.model",
	"gen_ai.response.model",
	"gen_ai.response.id",
	"gen_ai.response.finish_reasons",
	"gen_ai.conversation.id",
	"gen_ai.agent.id",
	"gen_ai.tool.call.id",
	"gen_ai.token.type",
	"openai.request.service_tier",
	"openai.response.service_tier",
	"server.address",
	"error.type",
	"llmotel.cost.match",
	"llmotel.cost.price_id",
	"llmotel.cost.price_table.version",
	"service.version",
	"telemetry.sdk.version",
}

func createDefaultConfig() component.Config {
	return &Config{
		ContentKeys:         append([]string{}, DefaultContentKeys...),
		ScanOtherAttributes: true,
		IgnoredKeys:         append([]string{}, DefaultIgnoredKeys...),
		DropBase64Media:     true,
		MaxContentBytes:     0,
	}
}

var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newRedactionProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, capabilities)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newRedactionProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, capabilities)
}
