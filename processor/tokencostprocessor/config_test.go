package tokencostprocessor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/agenttrace/agenttrace/internal/pricing"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	id := component.NewIDWithName(componentType, name)
	sub, err := cm.Sub(id.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", id, err)
	}
	return cfg
}

func TestLoadConfig(t *testing.T) {
	if err := componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()); err != nil {
		t.Fatal(err)
	}

	def := loadConfig(t, "")
	if err := def.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if def.Catalog.Mode != CatalogModeExtend || def.Catalog.File != "" || def.EstimateTokens || len(def.Models) != 0 {
		t.Fatalf("default config = %+v", def)
	}

	full := loadConfig(t, "full")
	if err := full.Validate(); err != nil {
		t.Fatalf("full config invalid: %v", err)
	}
	if !full.EstimateTokens || full.Catalog.File != "testdata/extra_catalog.yaml" || len(full.Models) != 2 {
		t.Fatalf("full config = %+v", full)
	}
	bot := full.Models[1]
	if bot.ID != "acme/support-bot" || bot.Hosts[0] != "openai" || *bot.Prices[0].CacheRead != 0.15 ||
		bot.Prices[0].LongContext[0].AboveInputTokens != 128000 || *bot.Prices[0].LongContext[0].Output != 2.40 {
		t.Fatalf("custom model = %+v", bot)
	}

	if err := loadConfig(t, "replace").Validate(); err != nil {
		t.Fatalf("replace config invalid: %v", err)
	}

	tests := map[string][]string{
		"replace_without_file": {`catalog.file: is required when catalog.mode is "replace"`},
		"invalid": {
			`catalog.mode: must be "extend" or "replace", got "merge"`,
			"models[0].id: must not be empty",
			"models[0].match[0]:",
			"models[0].prices[0].effective:",
			"models[0].prices[0].input: must be >= 0",
			"models[0].prices[0].output: is required",
			"models[1].prices: at least one price row is required",
		},
	}
	for name, wants := range tests {
		err := loadConfig(t, name).Validate()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", name, w, err)
			}
		}
	}
}

// TestStartLoadsCatalog checks that the factory does no I/O and that Start
// reads the external file, and fails on a missing one.
func TestStartLoadsCatalog(t *testing.T) {
	ctx := context.Background()
	for name, wantErr := range map[string]bool{"full": false, "replace": false, "missing": true} {
		var cfg *Config
		if name == "missing" {
			cfg = &Config{Catalog: CatalogConfig{File: "testdata/does-not-exist.yaml"}}
		} else {
			cfg = loadConfig(t, name)
		}
		p, err := NewFactory().CreateTraces(ctx, processortest.NewNopSettings(componentType), cfg, new(consumertest.TracesSink))
		if err != nil {
			t.Fatalf("%s: create: %v", name, err)
		}
		err = p.Start(ctx, componenttest.NewNopHost())
		if (err != nil) != wantErr {
			t.Fatalf("%s: start error = %v, want error %v", name, err, wantErr)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConfiguredCatalog prices with the full configuration's layers.
func TestConfiguredCatalog(t *testing.T) {
	cfg := loadConfig(t, "full")
	p := newProcessor(cfg, nil)
	f, err := pricing.LoadFile(cfg.Catalog.File)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := pricing.EmbeddedFile()
	if err != nil {
		t.Fatal(err)
	}
	if p.catalog, err = pricing.Build(emb.Models, f.Models, cfg.Models); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ model, provider, at, wantID, wantDate string }{
		{"acme-llm-v2", "", "2025-07-01", "acme/acme-llm", "2025-06-01"},
		{"support-bot-v3", "openai", "2025-07-01", "acme/support-bot", "2025-01-01"},
		{"support-bot-v3", "anthropic", "2025-07-01", "", ""},
		{"gpt-4o-mini-2024-07-18", "openai", "2025-07-01", "openai/gpt-4o-mini", "2024-07-18"},
		{"gpt-4o-mini-2024-07-18", "openai", "2026-07-01", "openai/gpt-4o-mini", "2026-01-01"},
	} {
		e, ok := p.catalog.Lookup(tc.model, tc.provider, day(tc.at))
		if tc.wantID == "" {
			if ok {
				t.Errorf("%s on %s: got %s, want unpriced", tc.model, tc.provider, e.ID)
			}
			continue
		}
		if !ok || e.ID != tc.wantID || e.EffectiveDate != tc.wantDate {
			t.Errorf("%s on %s at %s: got %v, want %s@%s", tc.model, tc.provider, tc.at, e, tc.wantID, tc.wantDate)
		}
	}
}
