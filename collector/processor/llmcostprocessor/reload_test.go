package llmcostprocessor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/costattr"
	"github.com/llmotel/llmotel/collector/processor/llmcostprocessor/internal/metadata"
)

// tableV2 is the fixture with a new version and gpt-4o input raised from
// 2.50 to 3.00 in its current row.
func tableV2(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(fixtureTable)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), `version: "test-1"`, `version: "test-2"`, 1)
	const row = "- effective_from: 2024-10-02\n        input: 2.50"
	if !strings.Contains(s, row) {
		t.Fatal("fixture changed: gpt-4o row not found")
	}
	return strings.Replace(s, row, "- effective_from: 2024-10-02\n        input: 3.00", 1)
}

// writeTable writes a table and moves its mtime forward, so a rewrite within
// the file system's timestamp granularity is still seen as a change.
func writeTable(t *testing.T, path, content string, bump time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(bump)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

func copyFixture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(fixtureTable)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prices.yaml")
	writeTable(t, path, string(data), 0)
	return path
}

func observedProcessor(t *testing.T, table string) (*costProcessor, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	cfg := createDefaultConfig()
	cfg.PriceTable = table
	cfg.ReloadInterval = 0
	p, err := newCostProcessor(set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, logs
}

var gpt4oMillion = chat("openai", "gpt-4o", in, 1_000_000, out, 0)

func priceOnce(t *testing.T, p *costProcessor) (float64, string) {
	t.Helper()
	td, err := p.processTraces(context.Background(), tracesWith(jan2025, gpt4oMillion))
	if err != nil {
		t.Fatal(err)
	}
	a := spanAttrs(td)
	total, _ := a.Get(costattr.CostTotal)
	version, _ := a.Get(costattr.CostTableVersion)
	return total.Double(), version.Str()
}

func TestReload(t *testing.T) {
	type step struct {
		name        string
		write       func(t *testing.T, path string) // nil: file untouched
		wantTotal   float64
		wantVersion string
		wantLog     string // message of the newest log entry, "" for no new entry
		wantLogErr  string // substring of its error field
	}
	steps := []step{
		{"initial table", nil, 2.5, "test-1", "", ""},
		{"good table is swapped in", func(t *testing.T, p string) { writeTable(t, p, tableV2(t), time.Second) },
			3.0, "test-2", "llmcost price table reloaded", ""},
		{"unchanged file is not reloaded", nil, 3.0, "test-2", "", ""},
		{"malformed table keeps the last good one", func(t *testing.T, p string) {
			writeTable(t, p, strings.Replace(tableV2(t), "input: 3.00", "input: three", 1), 2*time.Second)
		}, 3.0, "test-2", "llmcost price table rejected; keeping the last good table", "prices.yaml:15: models[0].prices[1].input: \"three\" not a plain decimal number"},
		{"the bad file is reported once, not every poll", nil, 3.0, "test-2", "", ""},
		{"deleted file keeps the last good table", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, 3.0, "test-2", "llmcost price table unreadable; keeping the last good table", "no such file"},
		{"restored file is loaded again", func(t *testing.T, p string) {
			data, _ := os.ReadFile(fixtureTable)
			writeTable(t, p, string(data), 3*time.Second)
		}, 2.5, "test-1", "llmcost price table reloaded", ""},
	}
	path := copyFixture(t)
	p, logs := observedProcessor(t, path)
	seen := logs.Len()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.write != nil {
				s.write(t, path)
			}
			p.reloadIfChanged()
			total, version := priceOnce(t, p)
			if total != s.wantTotal || version != s.wantVersion {
				t.Errorf("priced %v with %q; want %v with %q", total, version, s.wantTotal, s.wantVersion)
			}
			entries := logs.All()
			newEntries := entries[seen:]
			seen = len(entries)
			if s.wantLog == "" {
				if len(newEntries) != 0 {
					t.Errorf("unexpected log %q", newEntries[0].Message)
				}
				return
			}
			if len(newEntries) != 1 || newEntries[0].Message != s.wantLog {
				t.Fatalf("logs %v; want one %q", messages(newEntries), s.wantLog)
			}
			if s.wantLogErr != "" {
				errField, _ := newEntries[0].ContextMap()["error"].(string)
				if !strings.Contains(errField, s.wantLogErr) {
					t.Errorf("logged error %q; want it to contain %q", errField, s.wantLogErr)
				}
			}
		})
	}
}

func messages(entries []observer.LoggedEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Message
	}
	return out
}

// TestHotReloadWhileRunning changes the file under a started processor and
// waits for the poller to pick it up: no restart, no call to reload by hand.
func TestHotReloadWhileRunning(t *testing.T) {
	path := copyFixture(t)
	sink := new(consumertest.TracesSink)
	proc := createFromFactory(t, path, 100*time.Millisecond, sink)
	if err := proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := proc.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	writeTable(t, path, tableV2(t), time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := proc.ConsumeTraces(context.Background(), tracesWith(jan2025, gpt4oMillion)); err != nil {
			t.Fatal(err)
		}
		all := sink.AllTraces()
		if v, _ := spanAttrs(all[len(all)-1]).Get(costattr.CostTableVersion); v.Str() == "test-2" {
			total, _ := spanAttrs(all[len(all)-1]).Get(costattr.CostTotal)
			if total.Double() != 3.0 {
				t.Fatalf("reloaded table priced %v; want 3", total.Double())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("table change not picked up within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
