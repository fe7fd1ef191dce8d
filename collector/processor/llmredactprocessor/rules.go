package llmredactprocessor

// The built-in rules of the collector's safety net. They are greedy on purpose: the SDK
// redacts precisely (with checksums and context) before data leaves the process; here we
// catch whatever slipped through, so a rule prefers a false positive inside content over a
// miss. Go's regexp is RE2, so there are no look-arounds: boundaries are left out rather than
// approximated, which keeps recall at 100% for values glued to Hangul or to other digits.
//
// Entity names match the SDK's (src/llmotel/privacy/detectors.py), so the metric
// llmotel.redactions{llmotel.redaction.entity} means the same thing in both layers.

// builtinRule describes one entity. Prefilters keep the common case (content without the
// entity) to a substring search instead of a regex run over a 2 KB prompt.
type builtinRule struct {
	entity string
	// pattern is RE2; when it has a group named "secret", only that group is replaced
	// (`Bearer <secret>` keeps the word Bearer so the text still reads).
	pattern string
	// anyOf: the value must contain one of these literals (ASCII case-insensitively when
	// foldCase) before the regex runs; the windows are taken around them.
	anyOf    []string
	foldCase bool
	// minDigits: the value must hold a run of at least this many digits, where up to three
	// separators (space, dash, dot, parentheses, slash, plus, colon) may sit between digits.
	// Such a rule is anchored on the digit runs alone (no anyOf): context words before the
	// number are reached through reachLeft, and the regex itself requires them.
	minDigits int
	// contentOnly: applied to content keys and log bodies only, never to other attributes
	// (an IPv4 pattern would eat version strings such as service.version 1.2.3.4).
	contentOnly bool
	// reachLeft/reachRight bound how far a match can extend before and after its anchor (the
	// digit run for minDigits rules, the literal for anyOf rules). The regex only runs on
	// those windows instead of the whole 2 KB value: that is what keeps the gateway fast.
	reachLeft, reachRight int
	// asciiBoundary rejects a match glued to an ASCII letter or digit (the tail of a UUID, a
	// hex trace id, a longer number). Hangul next to a value is still a boundary, so
	// 010-1234-5678로 is caught.
	asciiBoundary bool
	// validate, when set, must accept the matched text (e.g. a checksum).
	validate func(string) bool
	// notAfter, when set, rejects a match whose preceding 16 bytes match it (a version
	// string "v1.2.3.4" is not an address).
	notAfter string
}

// luhnValid reports whether the digits of s pass the Luhn (mod 10) check.
func luhnValid(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}

// Order matters: longer, more specific secrets first, so `sk-ant-...` is an Anthropic key
// rather than an OpenAI one, and the JWT inside `Bearer eyJ...` is reported as a JWT.
// Placeholders contain no digits, so numeric rules never re-match them.
var builtinRules = []builtinRule{
	{
		entity:    "PRIVATE_KEY",
		reachLeft: 48, reachRight: 16384,
		// A key cut before its END line (truncated content) is redacted to the end of its body.
		pattern: `-----BEGIN[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:(?s:.*?)-----END[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s]|\\[nr])*)`,
		anyOf:   []string{"PRIVATE KEY"},
	},
	{entity: "JWT", pattern: `eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`, anyOf: []string{"eyJ"}, reachRight: 8192},
	{entity: "ANTHROPIC_KEY", pattern: `sk-ant-[A-Za-z0-9_-]{20,}`, anyOf: []string{"sk-ant-"}, reachRight: 512},
	{entity: "OPENAI_KEY", pattern: `sk-[A-Za-z0-9_-]{20,}`, anyOf: []string{"sk-"}, reachRight: 512},
	{entity: "AWS_ACCESS_KEY", pattern: `(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[A-Z0-9]{16}`,
		anyOf: []string{"A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA"}, reachRight: 20},
	{
		entity:   "AWS_SECRET_KEY",
		pattern:  `(?i:aws_?secret_?access_?key|secret_?access_?key|aws.{0,10}secret)[^A-Za-z0-9/+]{1,12}(?P<secret>[A-Za-z0-9/+]{40})`,
		anyOf:    []string{"secret"},
		foldCase: true,
		// the context word may start up to "aws_" before "secret"; the key follows within 64
		reachLeft: 16, reachRight: 64,
	},
	{entity: "GITHUB_TOKEN", pattern: `gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}`,
		anyOf: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, reachRight: 300},
	{entity: "GOOGLE_API_KEY", pattern: `AIza[0-9A-Za-z_-]{35}`, anyOf: []string{"AIza"}, reachRight: 40},
	{entity: "SLACK_TOKEN", pattern: `xox[abposre]-[0-9A-Za-z-]{10,}|xapp-[0-9]-[0-9A-Za-z-]{10,}`, anyOf: []string{"xox", "xapp-"}, reachRight: 256},
	{entity: "BEARER_TOKEN", pattern: `(?i:bearer)\s+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)`, anyOf: []string{"bearer"}, foldCase: true, reachRight: 8192},
	{entity: "EMAIL", pattern: `[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`, anyOf: []string{"@"},
		reachLeft: 64, reachRight: 256}, // RFC 5321: local part <= 64
	// IBAN before cards: its digit groups would otherwise be eaten as a card number.
	{entity: "IBAN", pattern: `[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?`, minDigits: 2,
		reachLeft: 4, reachRight: 48}, // the check digits anchor it; 34 characters plus spaces follow
	// 주민등록번호 / 외국인등록번호: YYMMDD-GNNNNNN, G in 1-8. No checksum: numbers issued after
	// Oct 2020 have none. The gender digit tells the two apart (5-8: foreigner).
	{entity: "KR_RRN", pattern: `[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[ ]?[-–]?[ ]?[1-4][0-9]{6}`, minDigits: 13, reachLeft: 2, reachRight: 2},
	{entity: "KR_FRN", pattern: `[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[ ]?[-–]?[ ]?[5-8][0-9]{6}`, minDigits: 13, reachLeft: 2, reachRight: 2},
	// Cards: 13-19 digits in groups passing the Luhn check, which every issued card number
	// passes (and which keeps timestamps, ISBNs and digits of pi out).
	{entity: "CREDIT_CARD", pattern: `[0-9](?:[ -]?[0-9]){12,18}`, minDigits: 13, reachLeft: 2, reachRight: 2, validate: luhnValid},
	// 사업자등록번호 NNN-NN-NNNNN and US SSN NNN-NN-NNNN: both need their dashes or spaces,
	// a bare run of digits is left to the card and phone rules.
	{entity: "KR_BRN", pattern: `[0-9]{3}[- ][0-9]{2}[- ][0-9]{5}`, minDigits: 10, reachLeft: 2, reachRight: 2},
	{entity: "US_SSN", pattern: `[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}`, minDigits: 9, reachLeft: 2, reachRight: 2},
	// Passport and driver licence numbers have no shape of their own: only a value right after
	// a context word (passport, 여권, driver's license, DL#, 운전면허, 면허번호) is taken.
	{
		entity:  "PASSPORT",
		pattern: `(?:(?i:passport)|여권)(?s:.{0,24}?)(?P<secret>[A-Z]{0,3}[0-9][A-Z0-9]{4,8})`,
		// Anchored on the value's digits (so digit-free prose skips the rule at once), reaching
		// back over the context word and the words between.
		minDigits: 3,
		reachLeft: 48, reachRight: 12,
	},
	{
		entity:    "DRIVER_LICENSE",
		pattern:   `(?:(?i:licen[cs]e)|DL#|면허)(?s:.{0,24}?)(?P<secret>(?:[가-힣]{2} ?)?[A-Z]?[0-9][0-9A-Z-]{5,18})`,
		minDigits: 3,
		reachLeft: 64, reachRight: 24,
	},
	// A bare nine-digit SSN only after its context word.
	{
		entity:    "US_SSN",
		pattern:   `(?:(?i:ssn)|(?i:social security))(?s:.{0,24}?)(?P<secret>[0-9]{9})`,
		minDigits: 9,
		reachLeft: 48, reachRight: 2,
		asciiBoundary: true,
	},
	// Korean numbers: mobile 010/011/016-019, Seoul 02, area codes 031-064, VoIP 070, safe
	// numbers 050X; with +82 the trunk 0 is dropped (sometimes written as (0)).
	{
		entity: "KR_PHONE",
		pattern: `\+82[ .-]?(?:\(0\)[ .-]?)?0?(?:1[016789]|70|50[0-9]|2|[3-6][1-5])[ .)-]{0,2}[0-9]{3,4}[ .-]?[0-9]{4}` +
			`|\(?0(?:1[016789]|70|50[0-9]|2|[3-6][1-5])\)?[ .)-]{0,2}[0-9]{3,4}[ .-]?[0-9]{4}`,
		minDigits: 9,
		reachLeft: 8, reachRight: 4,
	},
	// International numbers with a leading +, and North American (NNN) NNN-NNNN.
	{entity: "PHONE", pattern: `\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}`, minDigits: 7, reachLeft: 8, reachRight: 4},
	{entity: "PHONE", pattern: `\(?[2-9][0-9]{2}\)?[ .-][0-9]{3}[ .-][0-9]{4}`, minDigits: 10, reachLeft: 4, reachRight: 4},
	{
		entity:      "IP",
		pattern:     `(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`,
		minDigits:   4,
		contentOnly: true,
		reachLeft:   4,
		reachRight:  4,
		notAfter:    `(?i:version|ver|release|build|v|버전|릴리스)["':= ]{0,4}$`,
		// 0.0.0.0 is "every interface", never someone's address
		validate: func(ip string) bool { return ip != "0.0.0.0" },
	},
	{
		entity:  "IP",
		pattern: `(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){1,6}[0-9A-Fa-f]{1,4}`,
		// every IPv6 form but "::" alone has a digit; the window covers the 39-character maximum
		minDigits:   1,
		contentOnly: true,
		reachLeft:   40,
		reachRight:  40,
	},
}
