package llmredactprocessor

import (
	"strings"
	"testing"
)

const prose = "Summarise the attached quarterly report for the board. Focus on revenue growth, churn, and the " +
	"three largest risks; keep it under two hundred words and use plain language. 매출 성장과 해지율, " +
	"주요 위험 세 가지를 중심으로 요약해 주세요. "

func benchmarkRedact(b *testing.B, text string) {
	rd, err := newRedactor(createDefaultConfig().(*Config))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		rd.redact(text, true, counts{})
	}
}

// BenchmarkRedactClean2KB is the common case: a 2 KB prompt with no PII.
func BenchmarkRedactClean2KB(b *testing.B) {
	benchmarkRedact(b, strings.Repeat(prose, 2048/len(prose)+1)[:2048])
}

// BenchmarkRedactPII2KB has an email and a phone number at the end of a 2 KB prompt.
func BenchmarkRedactPII2KB(b *testing.B) {
	benchmarkRedact(b, strings.Repeat(prose, 2048/len(prose)+1)[:2000]+" Contact jane.doe@example.com or 010-1234-5678.")
}
