package privacyprocessor

import (
	"errors"
	"fmt"
	"regexp"

	"go.opentelemetry.io/collector/component"
)

// Modes: what happens to content attributes.
const (
	ModeMask = "mask" // detected secrets and personal data are replaced in place
	ModeDrop = "drop" // content attributes are removed; tokens, cost, model, tool name, timings stay
)

// Config configures the privacy processor.
type Config struct {
	// Mode is "mask" (default) or "drop".
	Mode string `mapstructure:"mode"`
	// Detectors switches the built-in detectors (all on by default).
	Detectors DetectorsConfig `mapstructure:"detectors"`
	// CustomPatterns are extra regular expressions (RE2 syntax); a match is
	// replaced with [REDACTED:<name>].
	CustomPatterns []PatternConfig `mapstructure:"custom_patterns"`
	// ScanAllAttributes also masks every other string attribute of spans and
	// span events, not only content. Off by default: content attributes are
	// where text from users, models and tools lands.
	ScanAllAttributes bool `mapstructure:"scan_all_attributes"`
}

// DetectorsConfig switches the built-in detectors.
type DetectorsConfig struct {
	// Email masks addresses (local@domain.tld).
	Email bool `mapstructure:"email"`
	// APIKey masks OpenAI, Anthropic, AWS, GitHub, Slack, Google and Stripe
	// keys, JWTs and bearer tokens.
	APIKey bool `mapstructure:"api_key"`
	// Card masks Luhn-valid payment card numbers of 13–19 digits.
	Card bool `mapstructure:"card"`
}

// PatternConfig is one custom pattern.
type PatternConfig struct {
	// Name labels the replacement and the metric: letters, digits, '_', '-'.
	Name string `mapstructure:"name"`
	// Regex is an RE2 regular expression; it must not match the empty string.
	Regex string `mapstructure:"regex"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{Mode: ModeMask, Detectors: DetectorsConfig{Email: true, APIKey: true, Card: true}}
}

// Validate reports every configuration problem at once, each with its
// field path.
func (cfg *Config) Validate() error {
	var errs []error
	switch cfg.Mode {
	case ModeMask, ModeDrop:
	default:
		errs = append(errs, fmt.Errorf("mode: must be %q or %q, got %q", ModeMask, ModeDrop, cfg.Mode))
	}
	seen := map[string]int{DetectorEmail: -1, DetectorAPIKey: -1, DetectorCard: -1}
	for i, p := range cfg.CustomPatterns {
		field := fmt.Sprintf("custom_patterns[%d]", i)
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: must not be empty", field))
		case !validName(p.Name):
			errs = append(errs, fmt.Errorf("%s.name: %q must be 1-64 letters, digits, '_' or '-'", field, p.Name))
		default:
			if j, dup := seen[p.Name]; dup {
				if j < 0 {
					errs = append(errs, fmt.Errorf("%s.name: %q is a built-in detector", field, p.Name))
				} else {
					errs = append(errs, fmt.Errorf("%s.name: %q is also custom_patterns[%d].name", field, p.Name, j))
				}
			} else {
				seen[p.Name] = i
			}
		}
		if p.Regex == "" {
			errs = append(errs, fmt.Errorf("%s.regex: must not be empty", field))
			continue
		}
		re, err := regexp.Compile(p.Regex)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.regex: %w", field, err))
			continue
		}
		if re.MatchString("") {
			errs = append(errs, fmt.Errorf("%s.regex: %q matches the empty string", field, p.Regex))
		}
	}
	return errors.Join(errs...)
}

// validName keeps names safe inside [REDACTED:<name>] in JSON and as a
// metric attribute.
func validName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
