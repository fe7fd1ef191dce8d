package llmredactprocessor

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"default", func(*Config) {}, ""},
		{"nothing to scan", func(c *Config) { c.ContentKeys = nil; c.ScanOtherAttributes = false }, "content_keys is empty"},
		{"negative cap", func(c *Config) { c.MaxContentBytes = -1 }, "max_content_bytes"},
		{"unknown entity", func(c *Config) { c.DisabledEntities = []string{"NOPE"} }, "disabled_entities[0]"},
		{"bad extra entity", func(c *Config) { c.ExtraRules = []ExtraRule{{Entity: "emp id", Pattern: "E[0-9]+"}} }, "extra_rules[0].entity"},
		{"look-around", func(c *Config) { c.ExtraRules = []ExtraRule{{Entity: "EMP", Pattern: "(?<!x)E[0-9]+"}} }, "extra_rules[0].pattern"},
		{"empty literal", func(c *Config) { c.ExtraRules = []ExtraRule{{Entity: "EMP", Pattern: "E[0-9]+", AnyOf: []string{""}}} }, "extra_rules[0].any_of[0]"},
		{"good extra", func(c *Config) { c.ExtraRules = []ExtraRule{{Entity: "EMPLOYEE_ID", Pattern: "EMP-[0-9]{6}"}} }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tc.mutate(cfg)
			err := cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
		})
	}
}

func TestDisabledEntityIsNotApplied(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DisabledEntities = []string{"IP"}
	rd, err := newRedactor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out := rd.redact("host 203.0.113.42", true, counts{}); out != "host 203.0.113.42" {
		t.Fatalf("disabled IP rule still applied: %q", out)
	}
}

func TestExtraRule(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ExtraRules = []ExtraRule{{Entity: "EMPLOYEE_ID", Pattern: "EMP-[0-9]{6}", AnyOf: []string{"EMP-"}}}
	rd, err := newRedactor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	found := counts{}
	if out := rd.redact("owner EMP-123456", true, found); out != "owner [REDACTED:EMPLOYEE_ID]" || found["EMPLOYEE_ID"] != 1 {
		t.Fatalf("got %q %v", out, found)
	}
}
