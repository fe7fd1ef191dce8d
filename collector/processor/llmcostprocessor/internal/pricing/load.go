package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SchemaVersion is the price table format this package reads.
const SchemaVersion = 1

// TableError is a malformed-table error naming the file, the line, the key
// and how to fix it, so an operator can act on the one line the collector
// prints at start-up or on a rejected reload.
type TableError struct {
	File    string
	Line    int
	Key     string
	Problem string
}

func (e *TableError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Problem)
}

// LoadFile reads and validates a price table file.
func LoadFile(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price table %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse validates a price table; file is used in error messages only.
func Parse(file string, data []byte) (*Table, error) {
	l := &loader{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &TableError{File: file, Line: 1, Problem: "empty file; a price table starts with schema_version, version, currency and models"}
		}
		return nil, l.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &TableError{File: file, Line: 1, Problem: "empty file; a price table starts with schema_version, version, currency and models"}
	}
	return l.table(doc.Content[0])
}

type loader struct {
	file string
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into the file:line form.
func (l *loader) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &TableError{File: l.file, Line: line, Problem: "invalid YAML: " + m[2]}
	}
	return &TableError{File: l.file, Line: 1, Problem: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (l *loader) errAt(n *yaml.Node, key, format string, args ...any) error {
	return &TableError{File: l.file, Line: n.Line, Key: key, Problem: fmt.Sprintf(format, args...)}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping with the nodes of its key and value.
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// mapping checks that n is a mapping with only known keys, each at most once,
// and all required keys present.
func (l *loader) mapping(n *yaml.Node, path string, known, required []string) (map[string]field, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, l.errAt(n, path, "must be a mapping of keys (%s)", strings.Join(known, ", "))
	}
	out := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		name := k.Value
		if !contains(known, name) {
			return nil, l.errAt(k, join(path, name), "unknown key; the keys allowed here are %s", strings.Join(known, ", "))
		}
		if prev, dup := out[name]; dup {
			return nil, l.errAt(k, join(path, name), "defined twice (first on line %d); keep one", prev.key.Line)
		}
		out[name] = field{key: k, value: v}
	}
	for _, r := range required {
		if _, ok := out[r]; !ok {
			return nil, l.errAt(n, join(path, r), "missing; add %q to this mapping", r)
		}
	}
	return out, nil
}

func (l *loader) scalar(f field, path string) (string, error) {
	if f.value.Kind != yaml.ScalarNode {
		return "", l.errAt(f.value, path, "must be a single value, not a list or mapping")
	}
	if f.value.Tag == "!!null" {
		return "", l.errAt(f.value, path, "has no value; fill it in or remove the key")
	}
	return f.value.Value, nil
}

func (l *loader) nonEmptyString(f field, path string) (string, error) {
	s, err := l.scalar(f, path)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", l.errAt(f.value, path, "must not be empty")
	}
	return s, nil
}

func (l *loader) price(f field, path string) (Price, error) {
	s, err := l.scalar(f, path)
	if err != nil {
		return 0, err
	}
	p, err := parsePrice(s)
	if err != nil {
		return 0, l.errAt(f.value, path, "%q %v; write USD per 1M tokens as a plain decimal, e.g. 2.50", s, err)
	}
	if p > maxPrice {
		return 0, l.errAt(f.value, path, "%s USD per 1M tokens is above the limit of %s; prices are per 1M tokens, not per token or per 1K", p, maxPrice)
	}
	return p, nil
}

func (l *loader) table(root *yaml.Node) (*Table, error) {
	fields, err := l.mapping(root, "", []string{"schema_version", "version", "currency", "description", "models"},
		[]string{"schema_version", "version", "currency", "models"})
	if err != nil {
		return nil, err
	}
	sv, err := l.scalar(fields["schema_version"], "schema_version")
	if err != nil {
		return nil, err
	}
	if sv != strconv.Itoa(SchemaVersion) {
		return nil, l.errAt(fields["schema_version"].value, "schema_version", "%q is not supported; this collector reads schema_version %d", sv, SchemaVersion)
	}
	t := &Table{Path: l.file, providers: map[string]*providerIndex{}}
	if t.Version, err = l.nonEmptyString(fields["version"], "version"); err != nil {
		return nil, err
	}
	cur, err := l.scalar(fields["currency"], "currency")
	if err != nil {
		return nil, err
	}
	if cur != "USD" {
		return nil, l.errAt(fields["currency"].value, "currency", "%q is not supported; prices are kept in USD (display conversion is done elsewhere)", cur)
	}
	models := fields["models"].value
	if models.Kind != yaml.SequenceNode || len(models.Content) == 0 {
		return nil, l.errAt(models, "models", "must be a non-empty list of model entries")
	}
	ids := map[string]int{}
	for i, n := range models.Content {
		e, err := l.entry(deref(n), fmt.Sprintf("models[%d]", i), t)
		if err != nil {
			return nil, err
		}
		if line, dup := ids[e.ID]; dup {
			return nil, l.errAt(n, fmt.Sprintf("models[%d].id", i), "%q is already used on line %d; ids must be unique", e.ID, line)
		}
		ids[e.ID] = e.Line
		t.Entries = append(t.Entries, e)
	}
	for _, idx := range t.providers {
		sort.SliceStable(idx.prefixes, func(a, b int) bool { return len(idx.prefixes[a].prefix) > len(idx.prefixes[b].prefix) })
	}
	return t, nil
}

func (l *loader) entry(n *yaml.Node, path string, t *Table) (*Entry, error) {
	fields, err := l.mapping(n, path, []string{"id", "provider", "match", "source", "checked", "notes", "prices"},
		[]string{"id", "provider", "match", "source", "checked", "prices"})
	if err != nil {
		return nil, err
	}
	e := &Entry{Line: n.Line}
	if e.ID, err = l.nonEmptyString(fields["id"], join(path, "id")); err != nil {
		return nil, err
	}
	if e.Provider, err = l.nonEmptyString(fields["provider"], join(path, "provider")); err != nil {
		return nil, err
	}
	if e.Source, err = l.nonEmptyString(fields["source"], join(path, "source")); err != nil {
		return nil, err
	}
	checked, err := l.scalar(fields["checked"], join(path, "checked"))
	if err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, checked); err != nil {
		return nil, l.errAt(fields["checked"].value, join(path, "checked"), "%q is not a date; write the day the price was last checked as YYYY-MM-DD", checked)
	}
	e.Checked = checked
	if err := l.rows(fields["prices"], join(path, "prices"), e); err != nil {
		return nil, err
	}
	if err := l.match(fields["match"], join(path, "match"), e, t); err != nil {
		return nil, err
	}
	return e, nil
}

func (l *loader) stringList(f field, path string) ([]string, error) {
	if f.value.Kind != yaml.SequenceNode {
		return nil, l.errAt(f.value, path, "must be a list of model names, e.g. [gpt-4o]")
	}
	out := make([]string, 0, len(f.value.Content))
	for i, item := range f.value.Content {
		item = deref(item)
		if item.Kind != yaml.ScalarNode || item.Value == "" {
			return nil, l.errAt(item, fmt.Sprintf("%s[%d]", path, i), "must be a non-empty model name")
		}
		out = append(out, item.Value)
	}
	return out, nil
}

func (l *loader) match(f field, path string, e *Entry, t *Table) error {
	fields, err := l.mapping(f.value, path, []string{"exact", "prefix", "regex"}, nil)
	if err != nil {
		return err
	}
	if len(fields) == 0 {
		return l.errAt(f.value, path, "has no rule; give at least one of exact, prefix or regex")
	}
	idx := t.providers[e.Provider]
	if idx == nil {
		idx = &providerIndex{exact: map[string]*Entry{}}
		t.providers[e.Provider] = idx
	}
	if ef, ok := fields["exact"]; ok {
		names, err := l.stringList(ef, join(path, "exact"))
		if err != nil {
			return err
		}
		for i, name := range names {
			if other, dup := idx.exact[name]; dup {
				return l.errAt(ef.value.Content[i], fmt.Sprintf("%s.exact[%d]", path, i),
					"%q (provider %s) is already matched exactly by entry %q on line %d; one model name must map to one entry", name, e.Provider, other.ID, other.Line)
			}
			idx.exact[name] = e
		}
	}
	if pf, ok := fields["prefix"]; ok {
		prefixes, err := l.stringList(pf, join(path, "prefix"))
		if err != nil {
			return err
		}
		for i, p := range prefixes {
			for _, other := range idx.prefixes {
				if other.prefix == p {
					return l.errAt(pf.value.Content[i], fmt.Sprintf("%s.prefix[%d]", path, i),
						"%q (provider %s) is already a prefix of entry %q on line %d; one prefix must map to one entry", p, e.Provider, other.entry.ID, other.entry.Line)
				}
			}
			idx.prefixes = append(idx.prefixes, prefixRule{prefix: p, entry: e})
		}
	}
	if rf, ok := fields["regex"]; ok {
		res, err := l.stringList(rf, join(path, "regex"))
		if err != nil {
			return err
		}
		for i, r := range res {
			// Anchored: a regex must describe the whole model name, so that
			// "gpt-4o" cannot silently price "gpt-4o-mini".
			re, err := regexp.Compile("^(?:" + r + ")$")
			if err != nil {
				return l.errAt(rf.value.Content[i], fmt.Sprintf("%s.regex[%d]", path, i), "%q is not an RE2 regular expression: %v", r, err)
			}
			idx.regexes = append(idx.regexes, regexRule{re: re, entry: e})
		}
	}
	return nil
}

func (l *loader) rows(f field, path string, e *Entry) error {
	if f.value.Kind != yaml.SequenceNode || len(f.value.Content) == 0 {
		return l.errAt(f.value, path, "must be a non-empty list of dated price rows")
	}
	for i, n := range f.value.Content {
		rowPath := fmt.Sprintf("%s[%d]", path, i)
		row, err := l.row(deref(n), rowPath)
		if err != nil {
			return err
		}
		if i > 0 && !row.EffectiveFrom.After(e.Rows[i-1].EffectiveFrom) {
			return l.errAt(n, join(rowPath, "effective_from"), "%s is not after the previous row's %s; list price rows oldest first, one per date",
				row.EffectiveFrom.Format(time.RFC3339), e.Rows[i-1].EffectiveFrom.Format(time.RFC3339))
		}
		e.Rows = append(e.Rows, row)
	}
	return nil
}

var rateKeys = []string{"input", "output", "cache_read", "cache_write"}

func (l *loader) row(n *yaml.Node, path string) (PriceRow, error) {
	known := append([]string{"effective_from", "tiers", "modifiers", "notes"}, rateKeys...)
	fields, err := l.mapping(n, path, known, []string{"effective_from", "input", "output"})
	if err != nil {
		return PriceRow{}, err
	}
	var row PriceRow
	ef := fields["effective_from"]
	s, err := l.scalar(ef, join(path, "effective_from"))
	if err != nil {
		return PriceRow{}, err
	}
	if row.EffectiveFrom, err = parseWhen(s); err != nil {
		return PriceRow{}, l.errAt(ef.value, join(path, "effective_from"), "%q is not a date; write YYYY-MM-DD (UTC midnight) or an RFC 3339 time", s)
	}
	if row.RateSet, err = l.rateSet(fields, path); err != nil {
		return PriceRow{}, err
	}
	if mf, ok := fields["modifiers"]; ok {
		if row.Modifiers, err = l.modifiers(mf, join(path, "modifiers"), &row.RateSet); err != nil {
			return PriceRow{}, err
		}
	}
	return row, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// rates reads input/output (required by the caller's mapping) and the cache
// prices. A missing cache price means the model bills cached tokens like any
// other input token, which is what providers without a cache discount do.
func (l *loader) rates(fields map[string]field, path string) (Rates, error) {
	var r Rates
	var err error
	if r.Input, err = l.price(fields["input"], join(path, "input")); err != nil {
		return r, err
	}
	if r.Output, err = l.price(fields["output"], join(path, "output")); err != nil {
		return r, err
	}
	r.CacheRead, r.CacheWrite = r.Input, r.Input
	if f, ok := fields["cache_read"]; ok {
		if r.CacheRead, err = l.price(f, join(path, "cache_read")); err != nil {
			return r, err
		}
	}
	if f, ok := fields["cache_write"]; ok {
		if r.CacheWrite, err = l.price(f, join(path, "cache_write")); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (l *loader) rateSet(fields map[string]field, path string) (RateSet, error) {
	var rs RateSet
	var err error
	if rs.Base, err = l.rates(fields, path); err != nil {
		return rs, err
	}
	tf, ok := fields["tiers"]
	if !ok {
		return rs, nil
	}
	tiersPath := join(path, "tiers")
	if tf.value.Kind != yaml.SequenceNode || len(tf.value.Content) == 0 {
		return rs, l.errAt(tf.value, tiersPath, "must be a non-empty list of {above_input_tokens, input, output, ...}")
	}
	for i, n := range tf.value.Content {
		tp := fmt.Sprintf("%s[%d]", tiersPath, i)
		tfields, err := l.mapping(n, tp, append([]string{"above_input_tokens"}, rateKeys...), []string{"above_input_tokens", "input", "output"})
		if err != nil {
			return rs, err
		}
		af := tfields["above_input_tokens"]
		s, err := l.scalar(af, join(tp, "above_input_tokens"))
		if err != nil {
			return rs, err
		}
		above, err := strconv.ParseInt(s, 10, 64)
		if err != nil || above <= 0 {
			return rs, l.errAt(af.value, join(tp, "above_input_tokens"), "%q must be a positive whole number of input tokens, e.g. 200000", s)
		}
		if i > 0 && above <= rs.Tiers[i-1].AboveInputTokens {
			return rs, l.errAt(af.value, join(tp, "above_input_tokens"), "%d is not above the previous tier's %d; list tiers by rising threshold", above, rs.Tiers[i-1].AboveInputTokens)
		}
		r, err := l.rates(tfields, tp)
		if err != nil {
			return rs, err
		}
		rs.Tiers = append(rs.Tiers, Tier{AboveInputTokens: above, Rates: r})
	}
	return rs, nil
}

func (l *loader) modifiers(f field, path string, base *RateSet) (map[string]*RateSet, error) {
	if f.value.Kind != yaml.MappingNode || len(f.value.Content) == 0 {
		return nil, l.errAt(f.value, path, "must map a service tier or batch to {multiplier: 0.5} or to explicit prices")
	}
	out := map[string]*RateSet{}
	for i := 0; i+1 < len(f.value.Content); i += 2 {
		k, v := f.value.Content[i], deref(f.value.Content[i+1])
		mp := join(path, k.Value)
		if _, dup := out[k.Value]; dup {
			return nil, l.errAt(k, mp, "defined twice; keep one")
		}
		if k.Value == "" {
			return nil, l.errAt(k, mp, "modifier name must not be empty")
		}
		known := append([]string{"multiplier", "tiers"}, rateKeys...)
		mfields, err := l.mapping(v, mp, known, nil)
		if err != nil {
			return nil, err
		}
		mf, hasMult := mfields["multiplier"]
		if hasMult {
			if len(mfields) != 1 {
				return nil, l.errAt(v, mp, "has both a multiplier and explicit prices; give one or the other")
			}
			s, err := l.scalar(mf, join(mp, "multiplier"))
			if err != nil {
				return nil, err
			}
			m, err := parseFixed(s, multiplierDigits)
			if err != nil || m == 0 || m > maxMultiplier {
				return nil, l.errAt(mf.value, join(mp, "multiplier"), "%q must be a positive decimal up to 100 with at most %d decimal places, e.g. 0.5 for half price", s, multiplierDigits)
			}
			out[k.Value] = base.scaled(m)
			continue
		}
		for _, r := range []string{"input", "output"} {
			if _, ok := mfields[r]; !ok {
				return nil, l.errAt(v, join(mp, r), "missing; give a multiplier or explicit input and output prices")
			}
		}
		rs, err := l.rateSet(mfields, mp)
		if err != nil {
			return nil, err
		}
		out[k.Value] = &rs
	}
	return out, nil
}

func (rs *RateSet) scaled(multiplierMicro int64) *RateSet {
	scale := func(r Rates) Rates {
		return Rates{
			Input:      r.Input.scale(multiplierMicro),
			Output:     r.Output.scale(multiplierMicro),
			CacheRead:  r.CacheRead.scale(multiplierMicro),
			CacheWrite: r.CacheWrite.scale(multiplierMicro),
		}
	}
	out := &RateSet{Base: scale(rs.Base)}
	for _, t := range rs.Tiers {
		out.Tiers = append(out.Tiers, Tier{AboveInputTokens: t.AboveInputTokens, Rates: scale(t.Rates)})
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
