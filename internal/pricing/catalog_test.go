package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEmbeddedCatalog(t *testing.T) {
	f, err := EmbeddedFile()
	if err != nil {
		t.Fatal(err)
	}
	if f.AsOf == "" || len(f.Sources) == 0 {
		t.Fatalf("catalog header must record the date (as_of=%q) and sources (%d)", f.AsOf, len(f.Sources))
	}
	for _, s := range f.Sources {
		if !strings.HasPrefix(s.URL, "https://") {
			t.Errorf("source %q has no https URL", s.Name)
		}
	}
	c := testCatalog(t)
	if c.Len() < 60 {
		t.Errorf("catalog has %d models, want the families of the brief (60+)", c.Len())
	}
	for _, m := range c.models {
		for i, e := range m.entries {
			if e.base.input < 0 || e.base.output < 0 {
				t.Errorf("%s: negative rate", m.id)
			}
			if i > 0 && !m.entries[i-1].Effective.Before(e.Effective) {
				t.Errorf("%s: rows not ascending", m.id)
			}
		}
	}
}

// TestLookup resolves the model names instrumentations report, including
// dated snapshots, provider prefixes, Bedrock and Vertex ids.
func TestLookup(t *testing.T) {
	c := testCatalog(t)
	at := day("2025-11-25")
	tests := []struct {
		model, provider string
		at              time.Time
		wantID          string // "" = unpriced
		wantDate        string
	}{
		// OpenAI
		{"gpt-4o", "openai", at, "openai/gpt-4o", "2024-10-02"},
		{"gpt-4o", "openai", day("2024-06-01"), "openai/gpt-4o", "2024-05-13"},
		{"gpt-4o-2024-05-13", "openai", at, "openai/gpt-4o-2024-05-13", "2024-05-13"},
		{"gpt-4o-2024-08-06", "openai", day("2024-09-01"), "openai/gpt-4o-2024-08-06", "2024-08-06"},
		{"gpt-4o-mini-2024-07-18", "openai", at, "openai/gpt-4o-mini", "2024-07-18"},
		{"openai/gpt-4.1-mini", "", at, "openai/gpt-4.1-mini", "2025-04-14"},
		{"gpt-4.1-2025-04-14", "openai", at, "openai/gpt-4.1", "2025-04-14"},
		{"gpt-4.1-nano-2025-04-14", "azure.ai.openai", at, "openai/gpt-4.1-nano", "2025-04-14"},
		{"o1-2024-12-17", "openai", at, "openai/o1", "2024-12-17"},
		{"o1-mini-2024-09-12", "openai", at, "openai/o1-mini", "2024-09-12"},
		{"o3-2025-04-16", "openai", day("2025-05-01"), "openai/o3", "2025-04-16"},
		{"o3-2025-04-16", "openai", at, "openai/o3", "2025-06-10"},
		{"o3-mini-2025-01-31", "openai", at, "openai/o3-mini", "2025-01-31"},
		{"o4-mini-2025-04-16", "openai", at, "openai/o4-mini", "2025-04-16"},
		{"gpt-5-2025-08-07", "openai", at, "openai/gpt-5", "2025-08-07"},
		{"gpt-5-mini-2025-08-07", "openai", at, "openai/gpt-5-mini", "2025-08-07"},
		{"GPT-5-Nano", "OpenAI", at, "openai/gpt-5-nano", "2025-08-07"},
		{"gpt-5-pro", "openai", at, "openai/gpt-5-pro", "2025-10-06"},
		{"gpt-4o-realtime-preview-2024-12-17", "openai", at, "", ""},
		{"ft:gpt-4o-mini-2024-07-18:acme::abc123", "openai", at, "", ""},
		// Anthropic, direct, Bedrock, Vertex, OpenRouter
		{"claude-3-5-sonnet-20241022", "anthropic", at, "anthropic/claude-3-5-sonnet", "2024-06-20"},
		{"claude-3-5-sonnet-latest", "anthropic", at, "anthropic/claude-3-5-sonnet", "2024-06-20"},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock", at, "anthropic/claude-3-5-sonnet", "2024-06-20"},
		{"anthropic.claude-3-haiku-20240307-v1:0", "", at, "anthropic/claude-3-haiku", "2024-03-13"},
		{"claude-3-sonnet-20240229-v1:0", "", at, "anthropic/claude-3-sonnet", "2024-03-04"},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "", at, "anthropic/claude-sonnet-4-5", "2025-09-29"},
		{"claude-sonnet-4-5@20250929", "gcp.vertex_ai", at, "anthropic/claude-sonnet-4-5", "2025-09-29"},
		{"claude-3-5-sonnet-v2@20241022", "", at, "anthropic/claude-3-5-sonnet", "2024-06-20"},
		{"publishers/anthropic/models/claude-opus-4-1@20250805", "", at, "anthropic/claude-opus-4-1", "2025-08-05"},
		{"anthropic/claude-3.7-sonnet", "openrouter", at, "anthropic/claude-3-7-sonnet", "2025-02-24"},
		{"anthropic/claude-3.7-sonnet:thinking", "", at, "anthropic/claude-3-7-sonnet", "2025-02-24"},
		{"claude-sonnet-4-20250514", "anthropic", at, "anthropic/claude-sonnet-4", "2025-05-22"},
		{"claude-opus-4-20250514", "anthropic", at, "anthropic/claude-opus-4", "2025-05-22"},
		{"claude-haiku-4-5-20251001", "anthropic", at, "anthropic/claude-haiku-4-5", "2025-10-15"},
		{"claude-opus-4-5-20251101", "anthropic", at, "anthropic/claude-opus-4-5", "2025-11-24"},
		{"claude-3-5-haiku@20241022", "", at, "anthropic/claude-3-5-haiku", "2024-11-04"},
		{"claude-3-opus-20240229", "anthropic", at, "anthropic/claude-3-opus", "2024-03-04"},
		// Google
		{"gemini-2.5-pro", "gcp.gemini", at, "google/gemini-2.5-pro", "2025-04-04"},
		{"models/gemini-2.5-pro-preview-05-06", "", at, "google/gemini-2.5-pro", "2025-04-04"},
		{"projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash", "gcp.vertex_ai", at, "google/gemini-2.5-flash", "2025-06-17"},
		{"gemini-2.5-flash-preview-05-20", "gcp.gemini", at, "", ""},
		{"gemini-2.5-flash-lite-preview-06-17", "gcp.gemini", at, "google/gemini-2.5-flash-lite", "2025-06-17"},
		{"gemini-2.0-flash-001", "gcp.vertex_ai", at, "google/gemini-2.0-flash", "2025-02-05"},
		{"gemini-2.0-flash-lite-001", "", at, "google/gemini-2.0-flash-lite", "2025-02-25"},
		{"gemini-1.5-pro-002", "gcp.vertex_ai", at, "google/gemini-1.5-pro", "2024-10-01"},
		{"gemini-1.5-pro-001", "gcp.vertex_ai", day("2024-07-01"), "google/gemini-1.5-pro", "2024-05-14"},
		{"gemini-1.5-flash-8b", "gemini", at, "google/gemini-1.5-flash-8b", "2024-10-03"},
		// Mistral
		{"mistral-large-2411", "mistral_ai", at, "mistral/mistral-large-2407", "2024-09-17"},
		{"mistral-large-latest", "mistral", at, "mistral/mistral-large-2407", "2024-09-17"},
		{"mistral.mistral-large-2402-v1:0", "aws.bedrock", at, "", ""}, // Bedrock's own price, not listed
		{"mistral-small-2503", "mistral_ai", at, "mistral/mistral-small-3", "2025-01-30"},
		{"codestral-2501", "", at, "mistral/codestral-2501", "2025-01-13"},
		// DeepSeek
		{"deepseek-chat", "deepseek", day("2025-03-01"), "deepseek/deepseek-chat", "2025-02-09"},
		{"deepseek-chat", "deepseek", time.Date(2025, 9, 5, 15, 59, 0, 0, time.UTC), "deepseek/deepseek-chat", "2025-02-09"},
		{"deepseek-chat", "deepseek", time.Date(2025, 9, 5, 16, 0, 0, 0, time.UTC), "deepseek/deepseek-chat", "2025-09-05T16:00:00Z"},
		{"deepseek-reasoner", "openai", at, "deepseek/deepseek-reasoner", "2025-09-29"},
		{"deepseek/deepseek-chat", "", at, "deepseek/deepseek-chat", "2025-09-29"},
		{"deepseek-chat", "together", at, "", ""}, // another host's price
		// xAI
		{"grok-4-0709", "x_ai", at, "xai/grok-4", "2025-07-09"},
		{"grok-3-mini", "xai", at, "xai/grok-3-mini", "2025-04-09"},
		{"grok-3-mini-fast-beta", "xai", at, "xai/grok-3-mini-fast", "2025-04-09"},
		{"grok-2-1212", "x_ai", at, "xai/grok-2", "2024-12-12"},
		{"xai/grok-3", "", at, "xai/grok-3", "2025-04-09"},
		// Meta Llama on Bedrock only
		{"meta.llama3-1-70b-instruct-v1:0", "", at, "aws-bedrock/llama3-1-70b-instruct", "2024-07-23"},
		{"us.meta.llama3-3-70b-instruct-v1:0", "aws.bedrock", at, "aws-bedrock/llama3-3-70b-instruct", "2024-12-19"},
		{"llama3-1-70b-instruct", "groq", at, "", ""},
		// Never priced
		{"my-private-model", "", at, "", ""},
		{"", "openai", at, "", ""},
		{"meta-llama/llama-3.1-70b-instruct:free", "openrouter", at, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.model+"|"+tt.provider, func(t *testing.T) {
			e, ok := c.Lookup(tt.model, tt.provider, tt.at)
			if tt.wantID == "" {
				if ok {
					t.Fatalf("Lookup(%q) = %s, want unpriced", tt.model, e.ID)
				}
				return
			}
			if !ok {
				t.Fatalf("Lookup(%q, %q) found nothing, want %s", tt.model, tt.provider, tt.wantID)
			}
			if e.ID != tt.wantID || e.EffectiveDate != tt.wantDate {
				t.Fatalf("Lookup(%q) = %s@%s, want %s@%s", tt.model, e.ID, e.EffectiveDate, tt.wantID, tt.wantDate)
			}
		})
	}
}

func TestLookupTimeEdges(t *testing.T) {
	c := testCatalog(t)
	// Before the first row: the first row. Zero time: the latest row.
	e, _ := c.Lookup("o3", "openai", day("2020-01-01"))
	if e.EffectiveDate != "2025-04-16" {
		t.Errorf("before first row: %s", e.EffectiveDate)
	}
	e, _ = c.Lookup("o3", "openai", time.Time{})
	if e.EffectiveDate != "2025-06-10" {
		t.Errorf("zero time: %s", e.EffectiveDate)
	}
	// A row applies from its effective instant on.
	e, _ = c.Lookup("o3", "openai", day("2025-06-10"))
	if e.EffectiveDate != "2025-06-10" {
		t.Errorf("at effective date: %s", e.EffectiveDate)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want, host string }{
		{"GPT-4o", "gpt-4o", ""},
		{"openai/gpt-4.1", "gpt-4-1", "openai"},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022", hostBedrock},
		{"meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b-instruct", hostBedrock},
		{"anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku-20240307", hostBedrock},
		{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5", hostVertex},
		{"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2", hostVertex},
		{"models/gemini-1.5-pro", "gemini-1-5-pro", ""},
		{"  gemini-2.5-pro  ", "gemini-2-5-pro", ""},
	}
	for _, tt := range tests {
		id, host, ok := normalize(nil, tt.in)
		if !ok || string(id) != tt.want || host != tt.host {
			t.Errorf("normalize(%q) = %q, %q, %v; want %q, %q", tt.in, id, host, ok, tt.want, tt.host)
		}
	}
	strips := map[string]string{
		"gpt-4o-2024-08-06":            "gpt-4o",
		"claude-opus-4-1-20250805":     "claude-opus-4-1",
		"grok-4-0709":                  "grok-4",
		"gemini-1-5-pro-002":           "gemini-1-5-pro",
		"gemini-2-5-pro-preview-05-06": "gemini-2-5-pro-preview",
		"mistral-large-latest":         "mistral-large",
		"gpt-4-1":                      "",
		"claude-sonnet-4-5":            "",
		"o1":                           "",
	}
	for in, want := range strips {
		got, ok := stripVersion([]byte(in))
		if want == "" {
			if ok {
				t.Errorf("stripVersion(%q) = %q, want no strip", in, got)
			}
			continue
		}
		if !ok || string(got) != want {
			t.Errorf("stripVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuildLayers checks overrides and custom models from configuration:
// a later layer with the same id adds a price row (history kept) and
// patterns; a later layer's pattern wins over an earlier one's.
func TestBuildLayers(t *testing.T) {
	f, err := EmbeddedFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := []ModelSpec{
		{ // a negotiated price from 2026 on; older spans keep list prices
			ID:     "openai/gpt-4o-mini",
			Prices: []PriceSpec{{Effective: "2026-01-01", Input: ptr(0.10), Output: ptr(0.40)}},
		},
		{
			ID:     "acme/support-bot-ft",
			Match:  []string{"support-bot-*", "ft:gpt-4o-mini*"},
			Prices: []PriceSpec{{Effective: "2025-01-01", Input: ptr(0.30), Output: ptr(1.20)}},
		},
		{ // a custom price for a pattern the catalog has
			ID:     "acme/claude-3-haiku",
			Match:  []string{"claude-3-haiku"},
			Prices: []PriceSpec{{Effective: "2024-01-01", Input: ptr(0.2), Output: ptr(1)}},
		},
	}
	c, err := Build(f.Models, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := c.Lookup("gpt-4o-mini", "openai", day("2025-06-01"))
	if in, _, _, _, _, _ := e.Rates(); in != 0.15 || e.EffectiveDate != "2024-07-18" {
		t.Errorf("history rewritten: %s@%s input %v", e.ID, e.EffectiveDate, in)
	}
	e, _ = c.Lookup("gpt-4o-mini", "openai", day("2026-02-01"))
	if in, _, _, _, _, _ := e.Rates(); in != 0.10 || e.EffectiveDate != "2026-01-01" {
		t.Errorf("override row not used: %s@%s input %v", e.ID, e.EffectiveDate, in)
	}
	if e, ok := c.Lookup("support-bot-v7", "", day("2026-02-01")); !ok || e.ID != "acme/support-bot-ft" {
		t.Errorf("custom prefix pattern: %v %v", e, ok)
	}
	if e, ok := c.Lookup("ft:gpt-4o-mini-2024-07-18:acme::x1", "openai", day("2026-02-01")); !ok || e.ID != "acme/support-bot-ft" {
		t.Errorf("fine-tuned id with a custom pattern: %v %v", e, ok)
	}
	if e, _ := c.Lookup("anthropic.claude-3-haiku-20240307-v1:0", "", day("2026-02-01")); e.ID != "acme/claude-3-haiku" {
		t.Errorf("config pattern should win over the catalog's: %s", e.ID)
	}
}

func TestReplaceCatalogFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prices.json")
	doc := `{"version": 1, "as_of": "2026-01-01", "models": [
	  {"id": "acme/m1", "match": ["m1"], "prices": [{"effective": "2026-01-01", "input": 1, "output": 2}]}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(f.Models)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup("m1", "", time.Time{}); !ok {
		t.Error("m1 not found")
	}
	if _, ok := c.Lookup("gpt-4o", "", time.Time{}); ok {
		t.Error("replaced catalog still has the embedded models")
	}
}

func TestValidationErrors(t *testing.T) {
	bad := []ModelSpec{
		{ID: "", Prices: []PriceSpec{{Effective: "2025-13-01", Input: ptr(-1)}}},
		{ID: "a/b", Match: []string{"x*y"}, Prices: []PriceSpec{
			{Effective: "2025-01-01", Input: ptr(1), Output: ptr(2), LongContext: []TierSpec{{AboveInputTokens: 0}}},
			{Effective: "2025-01-01", Input: ptr(1), Output: ptr(2)},
		}},
		{ID: "a/b", Prices: []PriceSpec{{Effective: "2025-01-01", Input: ptr(1), Output: ptr(1e9)}}},
		{ID: "c/d"},
	}
	err := ValidateModels("models", bad)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"models[0].id: must not be empty",
		"models[0].prices[0].effective:",
		"models[0].prices[0].input: must be >= 0",
		"models[0].prices[0].output: is required",
		"models[1].match[0]:",
		"models[1].prices[0].long_context[0].above_input_tokens: must be > 0",
		"models[1].prices[1].effective: \"2025-01-01\" repeats prices[0]",
		"models[2].id: \"a/b\" already defined at models[1]",
		"models[2].prices[0].output:",
		"models[3].prices: at least one price row is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseFileRejectsUnknownFields(t *testing.T) {
	_, err := ParseFile([]byte("models:\n  - id: a/b\n    prices:\n      - {effective: \"2025-01-01\", input: 1, outptu: 2}\n"))
	if err == nil || !strings.Contains(err.Error(), "outptu") {
		t.Fatalf("want an unknown-field error, got %v", err)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	c := testCatalog(t)
	at := day("2025-11-01")
	for _, name := range []string{"gpt-4o-mini-2024-07-18", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-sonnet-4-5@20250929", "gemini-2.5-pro-preview-05-06", "unknown-model-x"} {
		allocs := testing.AllocsPerRun(100, func() { c.Lookup(name, "openai", at) })
		if allocs != 0 {
			t.Errorf("Lookup(%q) allocates %v times", name, allocs)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	c := testCatalog(b)
	at := day("2025-11-01")
	for _, bc := range []struct{ name, model, provider string }{
		{"exact", "gpt-4o-mini", "openai"},
		{"dated", "gpt-4o-mini-2024-07-18", "openai"},
		{"bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock"},
		{"vertex", "claude-sonnet-4-5@20250929", "gcp.vertex_ai"},
		{"prefix", "gemini-2.5-pro-preview-05-06", "gcp.gemini"},
		{"unknown", "my-private-model-2025-01-01", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Lookup(bc.model, bc.provider, at)
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }
