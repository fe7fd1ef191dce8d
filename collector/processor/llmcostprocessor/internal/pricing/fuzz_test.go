package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes (seeded with every fixture) to the loader:
// it must return a table or a one-line TableError, never panic, and a table
// it accepts must price any usage without panicking.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/malformed/*.yaml")
	seeds = append(seeds, "../../testdata/prices.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := Parse("fuzz.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error is not one file:line line: %q", err)
			}
			return
		}
		for _, e := range tb.Entries {
			for i := range e.Rows {
				e.Rows[i].Price(Usage{Input: 300_000, Output: 1_000, CacheRead: 100_000, CacheWrite: 1_000})
				for _, m := range e.Rows[i].Modifiers {
					m.Price(Usage{Input: 10, Output: 10})
				}
			}
		}
	})
}
