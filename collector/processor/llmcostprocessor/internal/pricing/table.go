// Package pricing loads llmotel's price table (pricing/prices.yaml) and prices
// token usage with it. The format is documented in pricing/SCHEMA.md.
package pricing

import (
	"math/bits"
	"regexp"
	"sort"
	"time"
)

// MatchKind says which rule of an entry matched a model name.
type MatchKind string

// Match kinds, in lookup order.
const (
	MatchExact  MatchKind = "exact"
	MatchPrefix MatchKind = "prefix"
	MatchRegex  MatchKind = "regex"
)

// Rates are the four per-token-kind prices of one context tier.
type Rates struct {
	Input      Price
	Output     Price
	CacheRead  Price
	CacheWrite Price
}

// Tier is a whole-request context tier: when a request's input tokens
// (cache reads and writes included) exceed AboveInputTokens, every token of
// the request is billed at Rates.
type Tier struct {
	AboveInputTokens int64
	Rates            Rates
}

// RateSet is the base rates plus the context tiers, ascending by threshold.
type RateSet struct {
	Base  Rates
	Tiers []Tier
}

// ratesFor returns the rates of the highest tier the request crosses.
func (rs *RateSet) ratesFor(inputTokens int64) Rates {
	r := rs.Base
	for _, t := range rs.Tiers {
		if inputTokens > t.AboveInputTokens {
			r = t.Rates
		}
	}
	return r
}

// PriceRow is one dated price of an entry, in force from EffectiveFrom until
// the next row's EffectiveFrom.
type PriceRow struct {
	EffectiveFrom time.Time
	RateSet
	// Modifiers are rate sets for service tiers and batch ("batch", "flex",
	// "priority", ...), keyed by the tier value found on the span. Multiplier
	// modifiers are expanded into full rate sets when the table is loaded.
	Modifiers map[string]*RateSet
}

// Entry is one priced model (or family) of one provider.
type Entry struct {
	ID       string
	Provider string
	Source   string
	Checked  string
	Rows     []PriceRow // ascending by EffectiveFrom
	Line     int        // line of the entry in the table file, for messages
}

// RowAt returns the price row in force at t, or nil when t is before the
// entry's first row (no price was known then, so none is invented).
func (e *Entry) RowAt(t time.Time) *PriceRow {
	i := sort.Search(len(e.Rows), func(i int) bool { return e.Rows[i].EffectiveFrom.After(t) })
	if i == 0 {
		return nil
	}
	return &e.Rows[i-1]
}

type prefixRule struct {
	prefix string
	entry  *Entry
}

type regexRule struct {
	re    *regexp.Regexp
	entry *Entry
}

// providerIndex holds the match rules of one provider's entries.
type providerIndex struct {
	exact    map[string]*Entry
	prefixes []prefixRule // longest first
	regexes  []regexRule  // table order
}

// Table is a loaded, validated price table. It is immutable once loaded, so
// one table can be shared by concurrent pipelines and swapped atomically on
// reload.
type Table struct {
	Version   string
	Path      string
	Entries   []*Entry
	providers map[string]*providerIndex
}

// Lookup finds the entry pricing model for provider: an exact name first, then
// the longest matching prefix, then the first matching regex in table order.
func (t *Table) Lookup(provider, model string) (*Entry, MatchKind, bool) {
	idx := t.providers[provider]
	if idx == nil || model == "" {
		return nil, "", false
	}
	if e, ok := idx.exact[model]; ok {
		return e, MatchExact, true
	}
	for _, p := range idx.prefixes {
		if len(model) >= len(p.prefix) && model[:len(p.prefix)] == p.prefix {
			return p.entry, MatchPrefix, true
		}
	}
	for _, r := range idx.regexes {
		if r.re.MatchString(model) {
			return r.entry, MatchRegex, true
		}
	}
	return nil, "", false
}

// Usage is the token usage of one call in semantic-convention terms: Input
// includes the cache reads and writes, Output includes reasoning tokens.
type Usage struct {
	Input      int64
	Output     int64
	CacheRead  int64
	CacheWrite int64
}

// Femto is an amount in femto-USD (1e-15 USD): tokens times Price.
type Femto uint64

// USD converts an exact femto-USD amount to dollars.
func (f Femto) USD() float64 { return float64(f) / 1e15 }

// Cost is the priced parts of one call. Input is the uncached input only, so
// Total = Input + Output + CacheRead + CacheWrite.
type Cost struct {
	Input      Femto
	Output     Femto
	CacheRead  Femto
	CacheWrite Femto
	Total      Femto
}

// Price applies the formula
//
//	(input - cache_read - cache_write)*p_input + cache_read*p_cache_read +
//	cache_write*p_cache_write + output*p_output
//
// with the rates of the tier the whole request falls in. ok is false when the
// usage is inconsistent (negative counts, or cached tokens exceeding input,
// which means the producer did not follow the semconv rule that input
// includes cache) or a product overflows; the caller then marks the call
// unpriced instead of guessing.
func (rs *RateSet) Price(u Usage) (Cost, bool) {
	if u.Input < 0 || u.Output < 0 || u.CacheRead < 0 || u.CacheWrite < 0 {
		return Cost{}, false
	}
	uncached := u.Input - u.CacheRead - u.CacheWrite
	if uncached < 0 {
		return Cost{}, false
	}
	r := rs.ratesFor(u.Input)
	var c Cost
	ok := true
	c.Input = mulFemto(uncached, r.Input, &ok)
	c.Output = mulFemto(u.Output, r.Output, &ok)
	c.CacheRead = mulFemto(u.CacheRead, r.CacheRead, &ok)
	c.CacheWrite = mulFemto(u.CacheWrite, r.CacheWrite, &ok)
	c.Total = addFemto(addFemto(c.Input, c.Output, &ok), addFemto(c.CacheRead, c.CacheWrite, &ok), &ok)
	return c, ok
}

// mulFemto multiplies exactly, clearing ok on overflow (a single call would
// have to cost over USD 18,000 for that).
func mulFemto(tokens int64, p Price, ok *bool) Femto {
	hi, lo := bits.Mul64(uint64(tokens), uint64(p))
	if hi != 0 {
		*ok = false
	}
	return Femto(lo)
}

func addFemto(a, b Femto, ok *bool) Femto {
	sum, carry := bits.Add64(uint64(a), uint64(b), 0)
	if carry != 0 {
		*ok = false
	}
	return Femto(sum)
}
