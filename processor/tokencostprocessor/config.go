package tokencostprocessor

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/component"

	"github.com/agenttrace/agenttrace/internal/pricing"
)

// Catalog modes: how an external catalog file combines with the embedded one.
const (
	CatalogModeExtend  = "extend"  // the file's models are added to (and override) the embedded ones
	CatalogModeReplace = "replace" // only the file's models are priced
)

// Config configures the tokencost processor.
type Config struct {
	// Catalog points at an optional external pricing catalog file.
	Catalog CatalogConfig `mapstructure:"catalog"`
	// Models are price overrides and custom models, applied over the
	// catalog. A model whose id is a catalog id adds or replaces price rows
	// of that model (a later effective date keeps the older prices for older
	// spans); a new id adds a custom model. Rates are USD per million tokens.
	Models []pricing.ModelSpec `mapstructure:"models"`
	// EstimateTokens estimates token counts from the prompt and response
	// text of LLM spans that carry no counts (about 4 bytes per token). Off
	// by default; estimated counts and costs are flagged
	// (agenttrace.tokens.estimated, agenttrace.cost.status = estimated).
	EstimateTokens bool `mapstructure:"estimate_tokens"`
}

// CatalogConfig names an external catalog file (YAML or JSON, same layout
// as internal/pricing/catalog.yaml). It is read when the processor starts.
type CatalogConfig struct {
	File string `mapstructure:"file"`
	// Mode is "extend" (default) or "replace".
	Mode string `mapstructure:"mode"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{Catalog: CatalogConfig{Mode: CatalogModeExtend}}
}

// Validate reports every configuration problem at once, each with its
// field path.
func (cfg *Config) Validate() error {
	var errs []error
	switch cfg.Catalog.Mode {
	case "", CatalogModeExtend:
	case CatalogModeReplace:
		if strings.TrimSpace(cfg.Catalog.File) == "" {
			errs = append(errs, errors.New("catalog.file: is required when catalog.mode is \"replace\""))
		}
	default:
		errs = append(errs, fmt.Errorf("catalog.mode: must be %q or %q, got %q", CatalogModeExtend, CatalogModeReplace, cfg.Catalog.Mode))
	}
	errs = append(errs, pricing.ValidateModels("models", cfg.Models))
	return errors.Join(errs...)
}
