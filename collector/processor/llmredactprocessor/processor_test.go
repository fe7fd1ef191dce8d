package llmredactprocessor

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

const pii = `[{"role":"user","parts":[{"type":"text","content":"I am hong@example.com, 010-1234-5678로 연락, card 4111 1111 1111 1111"}]}]`

func genAISpan(td ptrace.Traces) ptrace.Span {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "chat-api")
	rs.Resource().Attributes().PutStr("service.version", "1.2.3.4")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat gpt-4o-mini")
	a := span.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o-mini")
	a.PutStr("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
	a.PutStr("gen_ai.response.id", "chatcmpl-0101234567812345")
	a.PutInt("gen_ai.usage.input_tokens", 1234)
	a.PutInt("gen_ai.usage.output_tokens", 56)
	a.PutStr("gen_ai.input.messages", pii)
	a.PutStr("enduser.note", "reach me at 010-9876-5432")
	a.PutInt(attrRedactionCount, 2) // already redacted twice by the SDK
	ev := span.Events().AppendEmpty()
	ev.SetName("gen_ai.client.inference.operation.details")
	ev.Attributes().PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"key sk-proj-AbCdEf0123456789GhIjKlMnOp"}]}]`)
	return span
}

func TestTracesRedactedAndCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	set := processortest.NewNopSettings(componentType)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	sink := new(consumertest.TracesSink)
	proc, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	genAISpan(td)
	if err := proc.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	out := sink.AllTraces()[0].ResourceSpans().At(0)
	span := out.ScopeSpans().At(0).Spans().At(0)
	attrs := span.Attributes()
	in, _ := attrs.Get("gen_ai.input.messages")
	for _, secret := range []string{"hong@example.com", "010-1234-5678", "4111 1111 1111 1111"} {
		if strings.Contains(in.Str(), secret) {
			t.Errorf("%s survived in %s", secret, in.Str())
		}
	}
	if !strings.Contains(in.Str(), "로 연락") {
		t.Errorf("Korean text around the phone number was damaged: %s", in.Str())
	}
	note, _ := attrs.Get("enduser.note")
	if strings.Contains(note.Str(), "010-9876-5432") {
		t.Errorf("non-content attribute not scanned: %s", note.Str())
	}
	evOut, _ := span.Events().At(0).Attributes().Get("gen_ai.output.messages")
	if strings.Contains(evOut.Str(), "sk-proj-") {
		t.Errorf("event attribute not redacted: %s", evOut.Str())
	}
	// Non-content attributes stay byte-identical.
	want := map[string]any{
		"gen_ai.request.model":       "gpt-4o-mini",
		"gen_ai.response.model":      "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":         "chatcmpl-0101234567812345",
		"gen_ai.usage.input_tokens":  int64(1234),
		"gen_ai.usage.output_tokens": int64(56),
	}
	for k, v := range want {
		got, ok := attrs.Get(k)
		if !ok || got.AsRaw() != v {
			t.Errorf("%s = %v, want %v", k, got.AsRaw(), v)
		}
	}
	if v, _ := out.Resource().Attributes().Get("service.version"); v.Str() != "1.2.3.4" {
		t.Errorf("service.version damaged: %q", v.Str())
	}
	// 2 from the SDK + email, KR phone, card, KR phone in note, OpenAI key in the event.
	if c, _ := attrs.Get(attrRedactionCount); c.Int() != 7 {
		t.Errorf("llmotel.redaction.count = %d, want 7", c.Int())
	}
	got := redactionMetric(t, tel)
	wantMetric := map[string]int64{"EMAIL": 1, "KR_PHONE": 2, "CREDIT_CARD": 1, "OPENAI_KEY": 1}
	for entity, n := range wantMetric {
		if got[entity] != n {
			t.Errorf("llmotel.redactions{entity=%s} = %d, want %d (all: %v)", entity, got[entity], n, got)
		}
	}
}

func redactionMetric(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(metricRedactions)
	if err != nil {
		t.Fatal(err)
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic {
		t.Fatalf("%s is not a monotonic int sum: %T", metricRedactions, m.Data)
	}
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value(attrEntity)
		out[v.AsString()] += dp.Value
	}
	return out
}

func TestLogsBodyAndAttributesRedactedThenTruncated(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaxContentBytes = 60
	sink := new(consumertest.LogsSink)
	proc, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(componentType), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("gen_ai.client.inference.operation.details")
	lr.Body().SetStr("user said: my rrn is 900101-1234568 and nothing else of interest here at all")
	// The secret straddles the 60-byte cap: redaction must run before the cut.
	lr.Attributes().PutStr("gen_ai.input.messages", strings.Repeat("x", 50)+" ghp_0123456789abcdefghijABCDEFGHIJ012345")
	lr.Attributes().PutInt("gen_ai.usage.input_tokens", 10)
	if err := proc.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	got := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	if strings.Contains(got.Body().Str(), "900101") {
		t.Errorf("log body not redacted: %s", got.Body().Str())
	}
	msg, _ := got.Attributes().Get("gen_ai.input.messages")
	if strings.Contains(msg.Str(), "ghp_") || !strings.Contains(msg.Str(), "[TRUNCATED:") {
		t.Errorf("content not redacted before truncation: %s", msg.Str())
	}
	if v, _ := got.Attributes().Get(attrContentTruncated); !v.Bool() {
		t.Error("llmotel.content.truncated not set")
	}
	if v, _ := got.Attributes().Get(attrRedactionCount); v.Int() != 2 {
		t.Errorf("llmotel.redaction.count = %d, want 2", v.Int())
	}
}

func TestCleanSpanUntouched(t *testing.T) {
	sink := new(consumertest.TracesSink)
	proc, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(componentType), createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"What is the capital of France?"}]}]`)
	before := pcommon.NewMap()
	span.Attributes().CopyTo(before)
	if err := proc.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	after := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	if !before.Equal(after) {
		t.Fatalf("clean span changed: %v -> %v", before.AsRaw(), after.AsRaw())
	}
}
