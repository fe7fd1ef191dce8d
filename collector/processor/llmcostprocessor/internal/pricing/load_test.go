package pricing

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformedTables loads every file of testdata/malformed; each starts
// with a "# want: ..." line holding the exact message (file:line: key:
// problem) the loader must report.
func TestMalformedTables(t *testing.T) {
	files, err := filepath.Glob("../../testdata/malformed/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no malformed fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := wantLine(t, file)
			_, err := LoadFile(file)
			if err == nil {
				t.Fatalf("loaded without error; want %q", want)
			}
			if !strings.Contains(err.Error(), "/"+want) {
				t.Fatalf("error\n  %s\nwant it to contain\n  %s", err, want)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("error spans several lines: %q", err)
			}
		})
	}
}

func wantLine(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "# want: ") {
		t.Fatalf("%s: first line must be '# want: <expected error>'", file)
	}
	return strings.TrimPrefix(sc.Text(), "# want: ")
}

func TestLoadMissingFile(t *testing.T) {
	_, err := LoadFile("../../testdata/does-not-exist.yaml")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestParseFixed(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2.50", 2_500_000_000, true},
		{"10", 10_000_000_000, true},
		{"0.075", 75_000_000, true},
		{"0.0375", 37_500_000, true},
		{"0", 0, true},
		{"4.125", 4_125_000_000, true},
		{"0.000000001", 1, true},
		{"0.0000000001", 0, false},
		{"1e-3", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, c := range cases {
		got, err := parseFixed(c.in, nanoDigits)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseFixed(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestPriceScaleAndString(t *testing.T) {
	cases := []struct {
		price Price
		mult  int64 // millionths
		want  string
	}{
		{2_500_000_000, 500_000, "1.25"},
		{3_000_000_000, 1_250_000, "3.75"},
		{75_000_000, 500_000, "0.0375"},
		{1_000_000_000, 1_100_000, "1.1"},
		{maxPrice, maxMultiplier, "500000"},
		{1, 500_000, "0.000000001"}, // half a nano rounds up
	}
	for _, c := range cases {
		if got := c.price.scale(c.mult).String(); got != c.want {
			t.Errorf("%s x %d/1e6 = %s; want %s", c.price, c.mult, got, c.want)
		}
	}
}
