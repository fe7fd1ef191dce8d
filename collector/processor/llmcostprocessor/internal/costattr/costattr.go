// Package costattr names the span attributes and metrics the llmcost
// processor and connector read and write. The llmotel names are fixed by the
// project's semconv registry (semconv/registry.yaml); the gen_ai.* names are
// OpenTelemetry GenAI semantic conventions (v1.41 and the newest names).
package costattr

// GenAI semantic convention attributes read from spans.
const (
	OperationName     = "gen_ai.operation.name"
	ProviderName      = "gen_ai.provider.name"
	RequestModel      = "gen_ai.request.model"
	ResponseModel     = "gen_ai.response.model"
	InputTokens       = "gen_ai.usage.input_tokens"
	OutputTokens      = "gen_ai.usage.output_tokens"
	CacheReadTokens   = "gen_ai.usage.cache_read.input_tokens"
	CacheWriteTokens  = "gen_ai.usage.cache_write.input_tokens"    // newest (development) name
	CacheCreateTokens = "gen_ai.usage.cache_creation.input_tokens" // v1.41 name
	TokenType         = "gen_ai.token.type"
)

// llmotel cost span attributes written by the processor.
const (
	CostTotal         = "llmotel.cost.total_usd"
	CostInput         = "llmotel.cost.input_usd"
	CostOutput        = "llmotel.cost.output_usd"
	CostCacheRead     = "llmotel.cost.cache_read_usd"
	CostCacheWrite    = "llmotel.cost.cache_write_usd"
	CostMatch         = "llmotel.cost.match"
	CostPriceID       = "llmotel.cost.price_id"
	CostTableVersion  = "llmotel.cost.price_table.version"
	CostUnpriced      = "llmotel.cost.unpriced"
	CostTokenType     = "llmotel.cost.token_type"
	MetricCostUSD     = "llmotel.cost.usd"
	MetricUnpricedTok = "llmotel.cost.unpriced_tokens"
)

// Values of llmotel.cost.token_type and gen_ai.token.type.
const (
	TokenTypeInput      = "input"
	TokenTypeOutput     = "output"
	TokenTypeCacheRead  = "cache_read"
	TokenTypeCacheWrite = "cache_write"
)
