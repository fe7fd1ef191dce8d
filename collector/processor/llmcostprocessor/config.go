package llmcostprocessor

import (
	"errors"
	"fmt"
	"time"
)

// Config is the llmcost processor's configuration.
type Config struct {
	// PriceTable is the path of llmotel's price table (pricing/prices.yaml).
	PriceTable string `mapstructure:"price_table"`
	// ReloadInterval is how often the table file is checked for changes
	// (modification time and size); 0 disables hot reload.
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
	// Operations are the gen_ai.operation.name values that are priced.
	// Agent and workflow spans are left out by default: they may carry
	// usage aggregated from their child calls, which are priced themselves.
	Operations []string `mapstructure:"operations"`
	// ServiceTierAttributes are read in order; the first one present names
	// the service tier that billed the call (the response's tier first, as
	// it is what the provider actually applied).
	ServiceTierAttributes []string `mapstructure:"service_tier_attributes"`
	// StandardServiceTiers are tier values billed at the row's base rates.
	// Any other tier value must have a modifier in the price row, or the
	// call is marked unpriced rather than billed at the wrong rate.
	StandardServiceTiers []string `mapstructure:"standard_service_tiers"`
	// SkipScopes are instrumentation scopes whose spans are never priced.
	// The anthropic SDK's own span (scope com.anthropic.sdk.python) repeats
	// the usage of llmotel's span for the same call when a user turns the
	// SDK's tracing back on; pricing both would count the call twice.
	SkipScopes []string `mapstructure:"skip_scopes"`
	// BatchAttribute is a boolean span attribute marking calls made through
	// a provider's batch API; such calls use the row's "batch" modifier.
	BatchAttribute string `mapstructure:"batch_attribute"`
}

func createDefaultConfig() *Config {
	return &Config{
		ReloadInterval:        30 * time.Second,
		Operations:            []string{"chat", "text_completion", "generate_content", "embeddings"},
		ServiceTierAttributes: []string{"openai.response.service_tier", "openai.request.service_tier"},
		StandardServiceTiers:  []string{"default", "auto", "standard", "standard_only", "on_demand"},
		SkipScopes:            []string{"com.anthropic.sdk.python"},
		BatchAttribute:        "llmotel.request.batch",
	}
}

// Validate reports the first configuration mistake with the key and the fix.
func (c *Config) Validate() error {
	if c.PriceTable == "" {
		return errors.New("llmcost: price_table is empty; set it to the path of prices.yaml, e.g. price_table: ${env:LLMOTEL_PRICE_TABLE}")
	}
	if c.ReloadInterval < 0 {
		return fmt.Errorf("llmcost: reload_interval %s is negative; use a duration such as 30s, or 0 to disable hot reload", c.ReloadInterval)
	}
	if c.ReloadInterval > 0 && c.ReloadInterval < 100*time.Millisecond {
		return fmt.Errorf("llmcost: reload_interval %s is shorter than 100ms; a file poll that often only burns CPU, use e.g. 30s", c.ReloadInterval)
	}
	if len(c.Operations) == 0 {
		return errors.New("llmcost: operations is empty, so nothing would be priced; list gen_ai.operation.name values, e.g. [chat, text_completion, generate_content, embeddings]")
	}
	return nil
}
