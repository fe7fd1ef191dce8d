package llmredactprocessor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// rule is a compiled builtinRule or user rule.
type rule struct {
	builtinRule
	re *regexp.Regexp
	// secretGroup is the index of the "secret" submatch, or 0 to replace the whole match.
	secretGroup int
	placeholder string
}

// redactor applies the rules to strings and reports what it replaced.
type redactor struct {
	rules []rule
	// needFold is true when some rule's prefilter is case-insensitive.
	needFold bool
	media    *regexp.Regexp
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
	return rule{builtinRule: r, re: re, secretGroup: group, placeholder: "[REDACTED:" + r.entity + "]"}, nil
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
		r.needFold = r.needFold || br.foldCase
	}
	if cfg.DropBase64Media {
		// data: URIs and long bare base64 runs: they cannot be scanned, so they are replaced by
		// their size and a hash prefix (enough to correlate repeats, too short to reverse).
		r.media = regexp.MustCompile(`data:[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/]+=*|[A-Za-z0-9+/]{256,}={0,2}`)
	}
	return r, nil
}

// longestDigitRun returns the largest number of digits in one run of s, where up to three
// separator characters may sit between two digits of the same run.
func longestDigitRun(s string) int {
	best, run, gap := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			run++
			gap = 0
			if run > best {
				best = run
			}
		case run > 0 && gap < 3 && (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '+' || c == ':'):
			gap++
		case c == 0xE2 && run > 0 && gap < 3 && strings.HasPrefix(s[i:], "–"):
			// en dash, sometimes typed between the two halves of a 주민등록번호
			gap++
			i += len("–") - 1
		default:
			run, gap = 0, 0
		}
	}
	return best
}

// containsFoldASCII reports whether s contains lit, comparing ASCII letters case-insensitively.
func containsFoldASCII(s, lit string) bool {
	n := len(lit)
	first := lit[0] | 0x20
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 == first && strings.EqualFold(s[i:i+n], lit) {
			return true
		}
	}
	return false
}

func (r *rule) mayMatch(s string, digits int) bool {
	if r.minDigits > 0 && digits < r.minDigits {
		return false
	}
	if len(r.anyOf) == 0 {
		return true
	}
	for _, lit := range r.anyOf {
		if r.foldCase {
			if containsFoldASCII(s, lit) {
				return true
			}
		} else if strings.Contains(s, lit) {
			return true
		}
	}
	return false
}

// replace substitutes every match of the rule in s and returns the new string and the count.
func (r *rule) replace(s string) (string, int) {
	locs := r.re.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return s, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	last, n := 0, 0
	for _, loc := range locs {
		start, end := loc[2*r.secretGroup], loc[2*r.secretGroup+1]
		if start < 0 || start < last {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(r.placeholder)
		last = end
		n++
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
	digits := longestDigitRun(s)
	for i := range rd.rules {
		r := &rd.rules[i]
		if r.contentOnly && !content {
			continue
		}
		if !r.mayMatch(s, digits) {
			continue
		}
		out, n := r.replace(s)
		if n > 0 {
			found[r.entity] += n
			s = out
			digits = longestDigitRun(s)
		}
	}
	if content && rd.media != nil {
		s = rd.media.ReplaceAllStringFunc(s, mediaPlaceholder)
	}
	return s
}

func mediaPlaceholder(payload string) string {
	sum := sha256.Sum256([]byte(payload))
	return fmt.Sprintf("[MEDIA:%d bytes sha256:%s]", len(payload), hex.EncodeToString(sum[:6]))
}

// truncateUTF8 cuts s to at most max bytes on a rune boundary and appends a marker that says
// how long the value was, so a reader knows content is missing. max <= 0 disables it.
func truncateUTF8(s string, max int) (string, bool) {
	if max <= 0 || len(s) <= max {
		return s, false
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[TRUNCATED:%d bytes]", len(s)), true
}
