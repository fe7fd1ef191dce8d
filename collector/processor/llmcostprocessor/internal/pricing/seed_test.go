package pricing

import (
	"os"
	"strings"
	"testing"
	"time"
)

// seedTable is the price table shipped with llmotel. These tests pin the
// facts the project promises about it; a price update that breaks one must
// change the test on purpose.
const seedTable = "../../../../../pricing/prices.yaml"

// loadSeed loads the shipped table. go test caches results by the files a
// test opens only inside the module, and the table lives outside it, so
// cost.mk passes the table's hash in LLMOTEL_PRICE_TABLE_SHA256: reading it
// here (not at package init, which go test does not log) keys the cache to
// the table's content, and an edited table re-runs these tests.
func loadSeed(t *testing.T) *Table {
	t.Helper()
	_ = os.Getenv("LLMOTEL_PRICE_TABLE_SHA256")
	tb, err := LoadFile(seedTable)
	if err != nil {
		t.Fatalf("the shipped price table does not load: %v", err)
	}
	return tb
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

func TestSeedTableFacts(t *testing.T) {
	tb := loadSeed(t)
	million := Usage{Input: 1_000_000, Output: 1_000_000}
	cases := []struct {
		name            string
		provider, model string
		at              string
		usage           Usage
		wantUSD         float64
	}{
		{"gpt-4o alias today: $2.50 + $10", "openai", "gpt-4o", "2026-11-01", million, 12.5},
		{"gpt-4o-2024-05-13 keeps $5 + $15", "openai", "gpt-4o-2024-05-13", "2026-11-01", million, 20},
		{"o3 before the cut: $10 + $40", "openai", "o3", "2025-06-09", million, 50},
		{"o3 from 2025-06-10: $2 + $8", "openai", "o3", "2025-06-10", million, 10},
		{"claude-sonnet-4-5 above 200k: whole request at $6 + $22.50", "anthropic", "claude-sonnet-4-5-20250929", "2026-11-01",
			Usage{Input: 1_000_000, Output: 1_000_000}, 28.5},
		{"gpt-5.5 above 272k: whole request at $10 + $45", "openai", "gpt-5.5", "2026-11-01", Usage{Input: 300_000, Output: 100_000}, 7.5},
		{"bedrock global profile: $3 input", "aws.bedrock", "global.anthropic.claude-sonnet-4-6", "2026-11-01", Usage{Input: 1_000_000}, 3},
		{"bedrock us. profile: 10% premium", "aws.bedrock", "us.anthropic.claude-sonnet-4-6", "2026-11-01", Usage{Input: 1_000_000}, 3.3},
		{"gemini-2.5-pro at 200k: base $1.25 input", "gcp.gemini", "gemini-2.5-pro", "2026-11-01", Usage{Input: 200_000}, 0.25},
		{"gemini-2.5-pro above 200k: $2.50 input", "gcp.gemini", "gemini-2.5-pro", "2026-11-01", Usage{Input: 200_001}, 0.5000025},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _, ok := tb.Lookup(c.provider, c.model)
			if !ok {
				t.Fatalf("%s/%s not in the table", c.provider, c.model)
			}
			row := e.RowAt(day(c.at))
			if row == nil {
				t.Fatalf("no row in force on %s", c.at)
			}
			cost, ok := row.Price(c.usage)
			if !ok || cost.Total.USD() != c.wantUSD {
				t.Fatalf("cost %v (ok=%v); want %v", cost.Total.USD(), ok, c.wantUSD)
			}
		})
	}
}

// Anthropic bills 5-minute cache writes at 1.25x the input price, in every
// row and tier of every Anthropic-model entry, wherever it is hosted.
func TestSeedAnthropicCacheWriteIs125Percent(t *testing.T) {
	tb := loadSeed(t)
	checked := 0
	check := func(id string, r Rates) {
		if int64(r.CacheWrite)*100 != int64(r.Input)*125 {
			t.Errorf("%s: cache_write %s is not 1.25 x input %s", id, r.CacheWrite, r.Input)
		}
		checked++
	}
	for _, e := range tb.Entries {
		if e.Provider != "anthropic" && !(e.Provider == "aws.bedrock" && strings.Contains(e.ID, "claude")) {
			continue
		}
		for _, row := range e.Rows {
			check(e.ID, row.Base)
			for _, tier := range row.Tiers {
				check(e.ID, tier.Rates)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("only %d Anthropic rate sets found", checked)
	}
}

func TestSeedCoversMajorProviders(t *testing.T) {
	tb := loadSeed(t)
	count := map[string]int{}
	for _, e := range tb.Entries {
		count[e.Provider]++
		if e.Source == "" || e.Checked == "" {
			t.Errorf("%s lacks provenance", e.ID)
		}
	}
	for _, p := range []string{"openai", "anthropic", "gcp.gemini", "gcp.vertex_ai", "aws.bedrock", "azure.ai.openai", "mistral_ai", "cohere"} {
		if count[p] == 0 {
			t.Errorf("no entry for provider %s", p)
		}
	}
}
