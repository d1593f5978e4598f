package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is a pricing catalog document: the embedded catalog.yaml or an
// external catalog file with the same layout (YAML or JSON).
type File struct {
	Version  int         `yaml:"version"`
	AsOf     string      `yaml:"as_of"`    // date of the price facts
	Compiled string      `yaml:"compiled"` // date the file was written
	Sources  []Source    `yaml:"sources"`
	Models   []ModelSpec `yaml:"models"`
}

// Source names a public price table the facts come from.
type Source struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// ModelSpec describes one priced model. The same shape is used by catalog
// files and by the tokencost processor's `models` configuration. All rates
// are USD per million tokens.
type ModelSpec struct {
	// ID names the model in cost attributes ("vendor/name"). A spec whose ID
	// equals one from an earlier layer (embedded catalog, catalog file)
	// overrides that model: its price rows are merged by effective date and
	// its match patterns added.
	ID string `mapstructure:"id" yaml:"id"`
	// Match lists name patterns (see the catalog.yaml header); the ID's name
	// part is always a pattern too.
	Match []string `mapstructure:"match" yaml:"match"`
	// Hosts restricts the prices to these serving platforms (values of
	// gen_ai.provider.name, e.g. "aws.bedrock"); empty means any.
	Hosts []string `mapstructure:"hosts" yaml:"hosts"`
	// Prices are the model's price rows, one per effective date.
	Prices []PriceSpec `mapstructure:"prices" yaml:"prices"`
	// Note is free text kept with the facts.
	Note string `mapstructure:"note" yaml:"note"`
}

// PriceSpec is one price row: the rates in force from Effective on.
type PriceSpec struct {
	// Effective is a date ("2025-09-29", UTC midnight) or an RFC 3339 time.
	Effective    string     `mapstructure:"effective" yaml:"effective"`
	Input        *float64   `mapstructure:"input" yaml:"input"`
	Output       *float64   `mapstructure:"output" yaml:"output"`
	CacheRead    *float64   `mapstructure:"cache_read" yaml:"cache_read"`
	CacheWrite5m *float64   `mapstructure:"cache_write_5m" yaml:"cache_write_5m"`
	CacheWrite1h *float64   `mapstructure:"cache_write_1h" yaml:"cache_write_1h"`
	Reasoning    *float64   `mapstructure:"reasoning" yaml:"reasoning"`
	LongContext  []TierSpec `mapstructure:"long_context" yaml:"long_context"`
}

// TierSpec is a long-context tier: above AboveInputTokens total input tokens
// (cache included) the rates it lists replace the row's.
type TierSpec struct {
	AboveInputTokens int64    `mapstructure:"above_input_tokens" yaml:"above_input_tokens"`
	Input            *float64 `mapstructure:"input" yaml:"input"`
	Output           *float64 `mapstructure:"output" yaml:"output"`
	CacheRead        *float64 `mapstructure:"cache_read" yaml:"cache_read"`
	CacheWrite5m     *float64 `mapstructure:"cache_write_5m" yaml:"cache_write_5m"`
	CacheWrite1h     *float64 `mapstructure:"cache_write_1h" yaml:"cache_write_1h"`
	Reasoning        *float64 `mapstructure:"reasoning" yaml:"reasoning"`
}

// maxRate bounds a rate (USD per million tokens) so that integer cost
// arithmetic cannot overflow for any realistic span.
const maxRate = 100_000

// ParseFile decodes a catalog document (YAML, or JSON, which is YAML) and
// validates it. Unknown fields are errors, so a typo never silently drops a
// price.
func ParseFile(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode pricing catalog: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("pricing catalog version %d is not supported (want 1)", f.Version)
	}
	if err := ValidateModels("models", f.Models); err != nil {
		return nil, err
	}
	return &f, nil
}

// LoadFile reads and parses an external catalog file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pricing catalog: %w", err)
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ValidateModels checks a list of model specs and reports every problem at
// once, each prefixed by its field path (path[i].prices[j].input ...).
func ValidateModels(path string, specs []ModelSpec) error {
	var errs []error
	seen := make(map[string]int, len(specs))
	for i := range specs {
		p := fmt.Sprintf("%s[%d]", path, i)
		errs = append(errs, specs[i].Validate(p))
		if id := specs[i].ID; id != "" {
			if j, dup := seen[id]; dup {
				errs = append(errs, fmt.Errorf("%s.id: %q already defined at %s[%d]", p, id, path, j))
			} else {
				seen[id] = i
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks one model spec; path prefixes every error.
func (m *ModelSpec) Validate(path string) error {
	var errs []error
	if strings.TrimSpace(m.ID) == "" {
		errs = append(errs, fmt.Errorf("%s.id: must not be empty", path))
	} else if patternKey(idName(m.ID)) == "" {
		errs = append(errs, fmt.Errorf("%s.id: %q has no model name", path, m.ID))
	}
	for i, p := range m.Match {
		if err := validatePattern(p); err != nil {
			errs = append(errs, fmt.Errorf("%s.match[%d]: %w", path, i, err))
		}
	}
	for i, h := range m.Hosts {
		if strings.TrimSpace(h) == "" {
			errs = append(errs, fmt.Errorf("%s.hosts[%d]: must not be empty", path, i))
		}
	}
	if len(m.Prices) == 0 {
		errs = append(errs, fmt.Errorf("%s.prices: at least one price row is required", path))
	}
	dates := make(map[int64]int, len(m.Prices))
	for i := range m.Prices {
		p := fmt.Sprintf("%s.prices[%d]", path, i)
		errs = append(errs, m.Prices[i].validate(p))
		if t, err := parseEffective(m.Prices[i].Effective); err == nil {
			if j, dup := dates[t.UnixNano()]; dup {
				errs = append(errs, fmt.Errorf("%s.effective: %q repeats prices[%d]", p, m.Prices[i].Effective, j))
			} else {
				dates[t.UnixNano()] = i
			}
		}
	}
	return errors.Join(errs...)
}

func (p *PriceSpec) validate(path string) error {
	var errs []error
	if _, err := parseEffective(p.Effective); err != nil {
		errs = append(errs, fmt.Errorf("%s.effective: %w", path, err))
	}
	if p.Input == nil {
		errs = append(errs, fmt.Errorf("%s.input: is required", path))
	}
	if p.Output == nil {
		errs = append(errs, fmt.Errorf("%s.output: is required", path))
	}
	errs = append(errs,
		validateRate(path+".input", p.Input),
		validateRate(path+".output", p.Output),
		validateRate(path+".cache_read", p.CacheRead),
		validateRate(path+".cache_write_5m", p.CacheWrite5m),
		validateRate(path+".cache_write_1h", p.CacheWrite1h),
		validateRate(path+".reasoning", p.Reasoning),
	)
	var prev int64
	for i := range p.LongContext {
		t := &p.LongContext[i]
		tp := fmt.Sprintf("%s.long_context[%d]", path, i)
		if t.AboveInputTokens <= 0 {
			errs = append(errs, fmt.Errorf("%s.above_input_tokens: must be > 0", tp))
		} else if t.AboveInputTokens <= prev {
			errs = append(errs, fmt.Errorf("%s.above_input_tokens: must be greater than the previous tier's (%d)", tp, prev))
		} else {
			prev = t.AboveInputTokens
		}
		errs = append(errs,
			validateRate(tp+".input", t.Input),
			validateRate(tp+".output", t.Output),
			validateRate(tp+".cache_read", t.CacheRead),
			validateRate(tp+".cache_write_5m", t.CacheWrite5m),
			validateRate(tp+".cache_write_1h", t.CacheWrite1h),
			validateRate(tp+".reasoning", t.Reasoning),
		)
	}
	return errors.Join(errs...)
}

func validateRate(path string, v *float64) error {
	if v == nil {
		return nil
	}
	f := *v
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return fmt.Errorf("%s: must be a finite number", path)
	case f < 0:
		return fmt.Errorf("%s: must be >= 0 (got %v)", path, f)
	case f > maxRate:
		return fmt.Errorf("%s: %v USD per million tokens is above the limit %d", path, f, maxRate)
	}
	return nil
}

func validatePattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return errors.New("must not be empty")
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return fmt.Errorf("%q: '*' is only allowed at the end (prefix match)", p)
	}
	if patternKey(strings.TrimSuffix(p, "*")) == "" {
		return fmt.Errorf("%q has no model name", p)
	}
	return nil
}

// parseEffective accepts a date (UTC midnight) or an RFC 3339 time.
func parseEffective(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("is required (a date like 2025-09-29 or an RFC 3339 time)")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2025-09-29) nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// idName is the model-name part of an id ("openai/gpt-4o" -> "gpt-4o").
func idName(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
