package llmredactprocessor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// rule is a compiled builtinRule or user rule.
type rule struct {
	builtinRule
	re *regexp.Regexp
	// secretGroup is the index of the "secret" submatch, or 0 to replace the whole match.
	secretGroup int
	// needles[i] are the spellings of anyOf[i] to search for.
	needles [][]needle
	// notAfter is the compiled builtinRule.notAfter, or nil.
	notAfter    *regexp.Regexp
	placeholder string
}

// redactor applies the rules to strings and reports what it replaced.
type redactor struct {
	rules []rule
	media *regexp.Regexp
}

// counts maps entity name to the number of values replaced.
type counts map[string]int

func (c counts) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

func compileRule(r builtinRule) (rule, error) {
	re, err := regexp.Compile(r.pattern)
	if err != nil {
		return rule{}, err
	}
	group := re.SubexpIndex("secret")
	if group < 0 {
		group = 0
	}
	cr := rule{builtinRule: r, re: re, secretGroup: group, placeholder: "[REDACTED:" + r.entity + "]"}
	if r.notAfter != "" {
		cr.notAfter = regexp.MustCompile(r.notAfter)
	}
	// Every number-shaped entity wants whole tokens; secrets and emails carry their own anchors.
	cr.asciiBoundary = r.asciiBoundary || r.minDigits > 0
	for _, lit := range r.anyOf {
		cr.needles = append(cr.needles, needlesFor(lit, r.foldCase))
	}
	return cr, nil
}

func newRedactor(cfg *Config) (*redactor, error) {
	disabled := map[string]bool{}
	for _, e := range cfg.DisabledEntities {
		disabled[e] = true
	}
	r := &redactor{}
	all := append([]builtinRule{}, builtinRules...)
	for _, extra := range cfg.ExtraRules {
		all = append(all, builtinRule{entity: extra.Entity, pattern: extra.Pattern, anyOf: extra.AnyOf})
	}
	for _, br := range all {
		if disabled[br.entity] {
			continue
		}
		cr, err := compileRule(br)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", br.entity, err)
		}
		r.rules = append(r.rules, cr)
	}
	if cfg.DropBase64Media {
		// data: URIs and long bare base64 runs: they cannot be scanned, so they are replaced by
		// their size and a hash prefix (enough to correlate repeats, too short to reverse).
		r.media = regexp.MustCompile(fmt.Sprintf(`data:[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/]+=*|[A-Za-z0-9+/]{%d,}={0,2}`, minBareBase64))
	}
	return r, nil
}

// minBareBase64 is the shortest run of base64 characters treated as media without a data: prefix
// (shorter runs are ordinary words, ids and hashes).
const minBareBase64 = 256

// Byte classes for the single pass over a value.
const (
	classDigit = 1 << iota
	classSeparator
	classBase64
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit | classBase64
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= classBase64
		t[c+'a'-'A'] |= classBase64
	}
	for _, c := range " -.()/+:" {
		t[c] |= classSeparator
	}
	t['+'] |= classBase64
	t['/'] |= classBase64
	return t
}()

// digitRun is a run of digits in a value: s[start:end] holds digits digits, with at most
// three separator characters (space - . ( ) / + : or an en dash) between two of them.
type digitRun struct{ start, end, digits int }

// scan is what the prefilters need to know of a value: its digit runs and whether it holds
// a run of base64 characters long enough to be media.
type scan struct {
	runs       []digitRun
	mostDigits int
	// base64Run is the longest base64 run when one reaches minBareBase64, else below it.
	base64Run int
}

func scanValue(s string) scan {
	var out scan
	out.base64Run = longestBase64RunAtLeast(s, minBareBase64)
	if !hasDigit(s) {
		return out // the common case for prose: no digit runs to find
	}
	cur, gap := digitRun{}, 0
	flush := func() {
		if cur.digits > 0 {
			out.runs = append(out.runs, cur)
			out.mostDigits = max(out.mostDigits, cur.digits)
		}
		cur, gap = digitRun{}, 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		k := byteClass[c]
		switch {
		case k&classDigit != 0:
			if cur.digits == 0 {
				cur.start = i
			}
			cur.digits++
			cur.end = i + 1
			gap = 0
		case cur.digits == 0:
		case k&classSeparator != 0 && gap < 3:
			gap++
		case c == 0xE2 && gap < 3 && strings.HasPrefix(s[i:], "–"):
			// en dash, sometimes typed between the two halves of a 주민등록번호
			gap++
			i += len("–") - 1
		default:
			flush()
		}
	}
	flush()
	return out
}

// hasDigit reports whether s holds an ASCII digit: ten vectorised byte searches are several
// times cheaper than one byte-by-byte loop over a digit-free 2 KB prompt.
func hasDigit(s string) bool {
	for d := byte('0'); d <= '9'; d++ {
		if strings.IndexByte(s, d) >= 0 {
			return true
		}
	}
	return false
}

// longestBase64RunAtLeast returns the length of the longest run of base64 characters in s if
// some run is at least n long, else a number below n. A run of n or more covers two
// consecutive multiples of n/2, so only runs through those sample points are measured.
func longestBase64RunAtLeast(s string, n int) int {
	step, best := n/2, 0
	for k := 0; k+step < len(s); k += step {
		if byteClass[s[k]]&classBase64 == 0 || byteClass[s[k+step]]&classBase64 == 0 {
			continue
		}
		// measure the run through the second sample point (the first may lie in another run)
		start, end := k+step, k+step
		for start > 0 && byteClass[s[start-1]]&classBase64 != 0 {
			start--
		}
		for end < len(s) && byteClass[s[end]]&classBase64 != 0 {
			end++
		}
		if run := end - start; run > best {
			best = run
		}
		k = max(k, end-step) // continue past this run
	}
	return best
}

// longestDigitRun returns the most digits in one run of s (see digitRun).
func longestDigitRun(s string) int { return scanValue(s).mostDigits }

// englishFrequency ranks lower-case letters from most to least common in English text;
// anything else (upper case, digits, punctuation) counts as rarer than all of them, except
// the space, which is the most common byte of all.
const englishFrequency = " etaoinshrdlcumwfgypbvkjxqz"

// needle is one literal to look for, anchored on its rarest byte: IndexByte (vectorised) on a
// rare byte skips through 2 KB of prose in a few jumps, where anchoring on a common first
// letter ("s" of "sk-", "e" of "earer") stops at every word.
type needle struct {
	text   string
	anchor int
}

func newNeedle(text string) needle {
	best, bestRank := 0, -1
	for i := 0; i < len(text); i++ {
		rank := len(englishFrequency) // rarer than any ranked letter
		if j := strings.IndexByte(englishFrequency, text[i]); j >= 0 {
			rank = len(englishFrequency) - 1 - j
		}
		if rank > bestRank {
			best, bestRank = i, rank
		}
	}
	return needle{text: text, anchor: best}
}

// index returns the first index of the needle in s, or -1.
func (n needle) index(s string) int {
	c := n.text[n.anchor]
	for off := n.anchor; off < len(s); {
		j := strings.IndexByte(s[off:], c)
		if j < 0 {
			return -1
		}
		start := off + j - n.anchor
		if start+len(n.text) <= len(s) && s[start:start+len(n.text)] == n.text {
			return start
		}
		off += j + 1
	}
	return -1
}

// needlesFor spells a literal the ways it is searched: as given, or for case-insensitive
// literals lower case, Capitalised and UPPER case (bearer, Bearer, BEARER; odd mixes like
// BeArEr are not searched).
func needlesFor(lit string, foldCase bool) []needle {
	if !foldCase || lit[0] >= utf8.RuneSelf {
		return []needle{newNeedle(lit)}
	}
	lower := strings.ToLower(lit)
	return []needle{newNeedle(lower), newNeedle(strings.ToUpper(lower[:1]) + lower[1:]), newNeedle(strings.ToUpper(lower))}
}

// indexLiteral returns the first occurrence in s of any spelling of the rule's i-th literal.
func (r *rule) indexLiteral(s string, i int) int {
	first := -1
	for _, n := range r.needles[i] {
		if at := n.index(s); at >= 0 && (first < 0 || at < first) {
			first = at
		}
	}
	return first
}

func (r *rule) mayMatch(s string, digits int) bool {
	if r.minDigits > 0 && digits < r.minDigits {
		return false
	}
	if len(r.anyOf) == 0 {
		return true
	}
	for i := range r.anyOf {
		if r.indexLiteral(s, i) >= 0 {
			return true
		}
	}
	return false
}

// isASCIIAlnumAt reports whether s[i] exists and is an ASCII letter or digit.
func isASCIIAlnumAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// window is a byte range [start, end) of a value that the rule's regex must scan.
type window struct{ start, end int }

// windows returns the merged, ordered ranges around the rule's anchors (digit runs or
// literal occurrences), widened by its reach. A rule without reach scans the whole value.
func (r *rule) windows(s string, runs []digitRun) []window {
	if r.reachLeft == 0 && r.reachRight == 0 {
		return []window{{0, len(s)}}
	}
	var anchors []window
	if r.minDigits > 0 {
		for _, run := range runs {
			if run.digits >= r.minDigits {
				anchors = append(anchors, window{run.start, run.end})
			}
		}
	} else {
		for li, lit := range r.anyOf {
			for off := 0; off < len(s); {
				i := r.indexLiteral(s[off:], li)
				if i < 0 {
					break
				}
				anchors = append(anchors, window{off + i, off + i + len(lit)})
				off += i + len(lit)
			}
		}
		slices.SortFunc(anchors, func(a, b window) int { return a.start - b.start })
	}
	var out []window
	for _, a := range anchors {
		w := window{max(0, a.start-r.reachLeft), min(len(s), a.end+r.reachRight)}
		if n := len(out); n > 0 && w.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

// replace substitutes every match of the rule inside the windows and returns the new string
// and the number of replacements.
func (r *rule) replace(s string, windows []window) (string, int) {
	var b strings.Builder
	last, n := 0, 0
	for _, w := range windows {
		for _, loc := range r.re.FindAllStringSubmatchIndex(s[w.start:w.end], -1) {
			start, end := loc[2*r.secretGroup], loc[2*r.secretGroup+1]
			if start < 0 || w.start+start < last {
				continue
			}
			if r.asciiBoundary && (isASCIIAlnumAt(s, w.start+start-1) || isASCIIAlnumAt(s, w.start+end)) {
				continue
			}
			if r.validate != nil && !r.validate(s[w.start+start:w.start+end]) {
				continue
			}
			if r.notAfter != nil && r.notAfter.MatchString(s[max(0, w.start+start-16):w.start+start]) {
				continue
			}
			if n == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last : w.start+start])
			b.WriteString(r.placeholder)
			last = w.start + end
			n++
		}
	}
	if n == 0 {
		return s, 0
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// redact applies every applicable rule to s. content selects the content-only rules too.
// It returns s unchanged (same string, no allocation) when nothing matched.
func (rd *redactor) redact(s string, content bool, found counts) string {
	if len(s) == 0 {
		return s
	}
	sc := scanValue(s)
	runs, digits := sc.runs, sc.mostDigits
	for i := range rd.rules {
		r := &rd.rules[i]
		if r.contentOnly && !content {
			continue
		}
		if !r.mayMatch(s, digits) {
			continue
		}
		out, n := r.replace(s, r.windows(s, runs))
		if n > 0 {
			found[r.entity] += n
			s = out
			sc = scanValue(s)
			runs, digits = sc.runs, sc.mostDigits
		}
	}
	// The media regex is costly to run (a 256-fold repetition), so it only runs when the cheap
	// scan says a data: URI or a long enough base64 run is there.
	if content && rd.media != nil && (sc.base64Run >= minBareBase64 || strings.Contains(s, ";base64,")) {
		s = rd.media.ReplaceAllStringFunc(s, mediaPlaceholder)
	}
	return s
}

func mediaPlaceholder(payload string) string {
	sum := sha256.Sum256([]byte(payload))
	return fmt.Sprintf("[MEDIA:%d bytes sha256:%s]", len(payload), hex.EncodeToString(sum[:6]))
}

// truncateUTF8 cuts s to at most limit bytes on a rune boundary and appends a marker that says
// how long the value was, so a reader knows content is missing. max <= 0 disables it.
func truncateUTF8(s string, limit int) (string, bool) {
	if limit <= 0 || len(s) <= limit {
		return s, false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[TRUNCATED:%d bytes]", len(s)), true
}
