package privacyprocessor

import (
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(componentType, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
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
	if def.Mode != ModeMask || !def.Detectors.Email || !def.Detectors.APIKey || !def.Detectors.Card ||
		def.ScanAllAttributes || len(def.CustomPatterns) != 0 {
		t.Fatalf("default config = %+v", def)
	}

	full := loadConfig(t, "full")
	if err := full.Validate(); err != nil {
		t.Fatalf("full config invalid: %v", err)
	}
	if full.Detectors.Card || !full.Detectors.Email || !full.ScanAllAttributes || len(full.CustomPatterns) != 2 ||
		full.CustomPatterns[0] != (PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`}) {
		t.Fatalf("full config = %+v", full)
	}

	drop := loadConfig(t, "drop")
	if err := drop.Validate(); err != nil || drop.Mode != ModeDrop {
		t.Fatalf("drop config = %+v, %v", drop, err)
	}

	err := loadConfig(t, "invalid").Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{
		`mode: must be "mask" or "drop", got "hide"`,
		"custom_patterns[0].name: must not be empty",
		"custom_patterns[0].regex: error parsing regexp: missing closing )",
		`custom_patterns[1].name: "bad name!" must be`,
		"custom_patterns[1].regex: must not be empty",
		`custom_patterns[2].name: "email" is a built-in detector`,
		`custom_patterns[3].regex: "\\d*" matches the empty string`,
		`custom_patterns[4].name: "anything" is also custom_patterns[3].name`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
