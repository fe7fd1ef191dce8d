package llmredactprocessor

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func defaultRedactor(t *testing.T) *redactor {
	t.Helper()
	rd, err := newRedactor(createDefaultConfig().(*Config))
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// Synthetic values only (documentation examples and checksum-valid test numbers).
func TestRedactPositives(t *testing.T) {
	rd := defaultRedactor(t)
	cases := []struct {
		entity, text, secret string
	}{
		{"EMAIL", "mail me at jane.doe+llm@example.co.kr please", "jane.doe+llm@example.co.kr"},
		{"EMAIL", "메일은 hong@example.com으로 보내주세요", "hong@example.com"},
		{"KR_PHONE", "제 번호는 010-1234-5678로 연락 주세요", "010-1234-5678"},
		{"KR_PHONE", "call +82-10-1234-5678 today", "+82-10-1234-5678"},
		{"KR_PHONE", "사무실 (02) 345-6789 입니다", "(02) 345-6789"},
		{"KR_PHONE", "VoIP 070-1234-5678", "070-1234-5678"},
		{"KR_PHONE", "01012345678번", "01012345678"},
		{"PHONE", "US office +1 415 555 0100.", "+1 415 555 0100"},
		{"PHONE", "UK +44 20 7946 0958", "+44 20 7946 0958"},
		{"KR_RRN", "주민등록번호 900101-1234568입니다", "900101-1234568"},
		{"KR_RRN", "rrn 0503154123456 new style", "0503154123456"},
		{"KR_FRN", "외국인등록번호: 850615-5123456", "850615-5123456"},
		{"CREDIT_CARD", "card 4111 1111 1111 1111 exp 12/30", "4111 1111 1111 1111"},
		{"CREDIT_CARD", "amex 3782-822463-10005", "3782-822463-10005"},
		{"IBAN", "IBAN DE89 3704 0044 0532 0130 00 thanks", "DE89 3704 0044 0532 0130 00"},
		{"IBAN", "GB82WEST12345698765432", "GB82WEST12345698765432"},
		{"US_SSN", "ssn 078-05-1120", "078-05-1120"},
		{"KR_BRN", "사업자등록번호 220-81-62517", "220-81-62517"},
		{"OPENAI_KEY", `{"key":"sk-proj-AbCdEf0123456789GhIjKlMnOp"}`, "sk-proj-AbCdEf0123456789GhIjKlMnOp"},
		{"ANTHROPIC_KEY", "sk-ant-api03-AbCdEf0123456789GhIjKlMnOpQr", "sk-ant-api03-AbCdEf0123456789GhIjKlMnOpQr"},
		{"AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE is the id", "AKIAIOSFODNN7EXAMPLE"},
		{"AWS_SECRET_KEY", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"GITHUB_TOKEN", "token ghp_0123456789abcdefghijABCDEFGHIJ012345 ok", "ghp_0123456789abcdefghijABCDEFGHIJ012345"},
		{"GOOGLE_API_KEY", "key=AIzaSyA0123456789abcdefghijklmnopqrstuv", "AIzaSyA0123456789abcdefghijklmnopqrstuv"},
		{"SLACK_TOKEN", "xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012-abcdefABCDEF"},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"},
		{"BEARER_TOKEN", "Authorization: Bearer abcDEF123456ghiJKL", "abcDEF123456ghiJKL"},
		{"PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA"},
		{"PRIVATE_KEY", "cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"},
		{"IP", "server at 203.0.113.42 answered", "203.0.113.42"},
		{"IP", "v6 2001:db8:85a3::8a2e:370:7334 host", "2001:db8:85a3::8a2e:370:7334"},
	}
	for _, tc := range cases {
		t.Run(tc.entity+"/"+tc.text, func(t *testing.T) {
			found := counts{}
			out := rd.redact(tc.text, true, found)
			if strings.Contains(out, tc.secret) {
				t.Fatalf("secret survived: %q", out)
			}
			if found[tc.entity] == 0 {
				t.Fatalf("expected a %s redaction, got %v in %q", tc.entity, found, out)
			}
			if !strings.Contains(out, "[REDACTED:"+tc.entity+"]") {
				t.Fatalf("placeholder for %s missing: %q", tc.entity, out)
			}
		})
	}
}

func TestRedactKeepsSurroundingText(t *testing.T) {
	rd := defaultRedactor(t)
	out := rd.redact("Authorization: Bearer abcDEF123456ghiJKL 끝", true, counts{})
	if out != "Authorization: Bearer [REDACTED:BEARER_TOKEN] 끝" {
		t.Fatalf("got %q", out)
	}
}

func TestRedactNegatives(t *testing.T) {
	rd := defaultRedactor(t)
	texts := []string{
		"The meeting is at 10:30 on 2026-11-22 in room 4.",
		"gpt-4o-mini-2024-07-18 answered in 1.25 s with 512 tokens",
		"오늘 날씨는 맑고 기온은 12도입니다.",
		"Skip the risk-averse ask: sk-short",
		"price 1,234.50 USD for 3 items",
	}
	for _, text := range texts {
		found := counts{}
		if out := rd.redact(text, true, found); out != text {
			t.Errorf("changed non-PII text %q -> %q (%v)", text, out, found)
		}
	}
}

func TestNonContentSkipsContentOnlyRules(t *testing.T) {
	rd := defaultRedactor(t)
	if out := rd.redact("1.2.3.4", false, counts{}); out != "1.2.3.4" {
		t.Fatalf("IP rule ran on a non-content value: %q", out)
	}
	if out := rd.redact("1.2.3.4", true, counts{}); out == "1.2.3.4" {
		t.Fatal("IP rule did not run on content")
	}
}

func TestMediaPlaceholder(t *testing.T) {
	rd := defaultRedactor(t)
	payload := "data:image/png;base64," + strings.Repeat("iVBORw0KGgo", 40)
	out := rd.redact(`{"image":"`+payload+`"}`, true, counts{})
	if strings.Contains(out, "iVBORw0KGgo") || !strings.Contains(out, "[MEDIA:") {
		t.Fatalf("media not replaced: %q", out)
	}
}

func TestTruncateUTF8(t *testing.T) {
	cases := []struct {
		in      string
		max     int
		want    string
		trimmed bool
	}{
		{"hello", 0, "hello", false},
		{"hello", 10, "hello", false},
		{"hello world", 5, "hello…[TRUNCATED:11 bytes]", true},
		// 한 is 3 bytes: a cut inside it backs off to the rune start.
		{"가한", 4, "가…[TRUNCATED:6 bytes]", true},
	}
	for _, tc := range cases {
		got, trimmed := truncateUTF8(tc.in, tc.max)
		if got != tc.want || trimmed != tc.trimmed {
			t.Errorf("truncateUTF8(%q,%d) = %q,%v want %q,%v", tc.in, tc.max, got, trimmed, tc.want, tc.trimmed)
		}
	}
}

func TestLongestDigitRun(t *testing.T) {
	cases := map[string]int{
		"":                    0,
		"abc":                 0,
		"010-1234-5678":       11,
		"(02) 345-6789":       9,
		"900101 - 1234568":    13,
		"a1b22c333":           3,
		"900101–1234568":      13,
		"4111 1111 1111 1111": 16,
	}
	for in, want := range cases {
		if got := longestDigitRun(in); got != want {
			t.Errorf("longestDigitRun(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestNeedleIndex(t *testing.T) {
	cases := []struct {
		lit      string
		fold     bool
		text     string
		want     int
		wantNote string
	}{
		{"sk-", false, "ask sk-abc", 4, "first full match, not the 'sk' inside ask"},
		{"sk-", false, "sk-", 0, "at the start"},
		{"sk-", false, "ask", -1, "absent"},
		{"bearer", true, "x BEARER y", 2, "upper case"},
		{"bearer", true, "Authorization: Bearer abc", 15, "capitalised"},
		{"@", false, "a@b", 1, "single byte"},
	}
	for _, tc := range cases {
		r := rule{builtinRule: builtinRule{anyOf: []string{tc.lit}, foldCase: tc.fold}}
		r.needles = [][]needle{needlesFor(tc.lit, tc.fold)}
		if got := r.indexLiteral(tc.text, 0); got != tc.want {
			t.Errorf("%s: index of %q in %q = %d, want %d", tc.wantNote, tc.lit, tc.text, got, tc.want)
		}
	}
}

func TestLongestBase64RunAtLeast(t *testing.T) {
	run := strings.Repeat("QUJD", 100) // 400 base64 characters
	cases := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"short words only", 0},
		{run, 400},
		{"prefix " + run + " suffix", 400},
		{strings.Repeat("x y ", 200), 0},
		{"ab " + strings.Repeat("A", 255) + " cd", 0}, // one short of the threshold
		{"ab " + strings.Repeat("A", 256) + " cd", 256},
	}
	for _, tc := range cases {
		got := longestBase64RunAtLeast(tc.s, 256)
		if (tc.want >= 256) != (got >= 256) || (tc.want >= 256 && got != tc.want) {
			t.Errorf("longestBase64RunAtLeast(len %d) = %d, want %d", len(tc.s), got, tc.want)
		}
	}
}

// The sampled base64 scan must agree with a plain byte-by-byte scan on whether a run reaches
// the threshold, and on its length when it does.
func TestLongestBase64RunAtLeastMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "AB+/ \"-"
	for range 2000 {
		b := make([]byte, rng.IntN(1200))
		for i := range b {
			// long base64 stretches with occasional breaks
			if rng.IntN(300) == 0 {
				b[i] = alphabet[4+rng.IntN(3)]
			} else {
				b[i] = alphabet[rng.IntN(4)]
			}
		}
		s := string(b)
		naive, run := 0, 0
		for i := 0; i < len(s); i++ {
			if byteClass[s[i]]&classBase64 != 0 {
				run++
				naive = max(naive, run)
			} else {
				run = 0
			}
		}
		got := longestBase64RunAtLeast(s, 256)
		if (naive >= 256) != (got >= 256) || (naive >= 256 && got != naive) {
			t.Fatalf("len %d: sampled %d, naive %d", len(s), got, naive)
		}
	}
}

func TestLuhnValid(t *testing.T) {
	cases := map[string]bool{
		"4111 1111 1111 1111": true,
		"4111 1111 1111 1112": false,
		"3782-822463-10005":   true,
		"1732270530123":       false,
		"":                    false,
	}
	for in, want := range cases {
		if got := luhnValid(in); got != want {
			t.Errorf("luhnValid(%q) = %v, want %v", in, got, want)
		}
	}
}
