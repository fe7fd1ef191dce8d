package llmredactprocessor

import (
	"errors"
	"fmt"
	"regexp"
)

// Config of the llmredact processor.
type Config struct {
	// ContentKeys are the attributes that carry prompts, completions and tool payloads. They
	// get every rule (including IP addresses), media replacement and the size cap.
	ContentKeys []string `mapstructure:"content_keys"`
	// ScanOtherAttributes also runs the rules (minus content-only ones) over every other string
	// attribute of spans, span events and log records, except IgnoredKeys.
	ScanOtherAttributes bool `mapstructure:"scan_other_attributes"`
	// IgnoredKeys are never scanned: identifiers, model names and versions that must arrive
	// intact (a response id or a version string is not personal data).
	IgnoredKeys []string `mapstructure:"ignored_keys"`
	// DisabledEntities turns built-in rules off by entity name (e.g. IP).
	DisabledEntities []string `mapstructure:"disabled_entities"`
	// ExtraRules adds site-specific patterns (RE2) after the built-in ones.
	ExtraRules []ExtraRule `mapstructure:"extra_rules"`
	// DropBase64Media replaces data: URIs and long base64 runs in content by size + hash.
	DropBase64Media bool `mapstructure:"drop_base64_media"`
	// MaxContentBytes caps each content value after redaction (0 = no cap). Redaction runs
	// first because a cut can split a secret so that no pattern matches the rest.
	MaxContentBytes int `mapstructure:"max_content_bytes"`
}

// ExtraRule is one user-supplied pattern.
type ExtraRule struct {
	Entity  string   `mapstructure:"entity"`
	Pattern string   `mapstructure:"pattern"`
	AnyOf   []string `mapstructure:"any_of"`
}

var entityName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Validate reports the first malformed key with the fix, in one line.
func (c *Config) Validate() error {
	if len(c.ContentKeys) == 0 && !c.ScanOtherAttributes {
		return errors.New("llmredact: content_keys is empty and scan_other_attributes is false, so nothing would be redacted; list the content attributes (e.g. gen_ai.input.messages) or set scan_other_attributes: true")
	}
	if c.MaxContentBytes < 0 {
		return fmt.Errorf("llmredact: max_content_bytes is %d; use 0 for no cap or a positive byte count", c.MaxContentBytes)
	}
	known := map[string]bool{}
	for _, r := range builtinRules {
		known[r.entity] = true
	}
	for i, e := range c.DisabledEntities {
		if !known[e] {
			return fmt.Errorf("llmredact: disabled_entities[%d] %q is not a built-in entity; use one of the names in collector/README.md (e.g. IP, KR_BRN)", i, e)
		}
	}
	for i, r := range c.ExtraRules {
		if !entityName.MatchString(r.Entity) {
			return fmt.Errorf("llmredact: extra_rules[%d].entity %q must be an upper-case name like EMPLOYEE_ID", i, r.Entity)
		}
		for j, lit := range r.AnyOf {
			if lit == "" {
				return fmt.Errorf("llmredact: extra_rules[%d].any_of[%d] is empty; remove it or give a literal that every match contains", i, j)
			}
		}
		if _, err := regexp.Compile(r.Pattern); err != nil {
			return fmt.Errorf("llmredact: extra_rules[%d].pattern does not compile as RE2 (no look-arounds or back-references): %v", i, err)
		}
	}
	return nil
}
