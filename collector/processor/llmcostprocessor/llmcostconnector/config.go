package llmcostconnector

import (
	"errors"
	"fmt"
	"time"
)

// Config is the llmcost connector's configuration.
type Config struct {
	// FlushInterval is how often the cumulative counters are emitted.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// ResourceAttributes are copied from the span's resource to the metrics'
	// resource (they become job and promoted labels in Prometheus). Keep
	// this list low-cardinality: one series set per distinct combination.
	ResourceAttributes []string `mapstructure:"resource_attributes"`
	// CollectorInstanceID sets service.instance.id on the emitted resource
	// to the collector's own instance id. Each gateway replica then owns its
	// counters (Prometheus `instance` label), so replicas behind a load
	// balancer never overwrite each other's cumulative totals.
	CollectorInstanceID bool `mapstructure:"collector_instance_id"`
	// MaxSeries bounds the number of counter series kept in memory; spans
	// beyond it are added to one series per metric marked
	// otel.metric.overflow=true, so totals stay exact.
	MaxSeries int `mapstructure:"max_series"`
}

func createDefaultConfig() *Config {
	return &Config{
		FlushInterval:       15 * time.Second,
		ResourceAttributes:  []string{"service.name", "service.namespace", "deployment.environment.name"},
		CollectorInstanceID: true,
		MaxSeries:           10000,
	}
}

// Validate reports the first configuration mistake with the key and the fix.
func (c *Config) Validate() error {
	if c.FlushInterval < time.Second {
		return fmt.Errorf("llmcost connector: flush_interval %s is below 1s; use e.g. 15s (Prometheus scrapes and rule evaluation work at that scale)", c.FlushInterval)
	}
	if c.MaxSeries <= 0 {
		return errors.New("llmcost connector: max_series must be positive; use e.g. 10000")
	}
	return nil
}
