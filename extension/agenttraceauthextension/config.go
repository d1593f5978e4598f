package agenttraceauthextension

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/agenttrace/agenttrace/internal/apikey"
	"github.com/agenttrace/agenttrace/internal/canonical"
)

var _ component.Config = (*Config)(nil)

// DefaultKeysEnv is the environment variable read for ingest keys unless
// keys_env names another.
const DefaultKeysEnv = "AGENTTRACE_INGEST_KEYS"

// Config configures the ingest-key authenticator.
type Config struct {
	// Keys are ingest keys written in the configuration.
	Keys []KeyConfig `mapstructure:"keys"`
	// KeysEnv names an environment variable holding more ingest keys as
	// "project:secret,project2:secret2" (the project comes first because a
	// project name cannot contain ':' while a secret may). Empty disables it.
	KeysEnv string `mapstructure:"keys_env"`
	// EnvRateLimit is the spans/s limit of every key read from KeysEnv
	// (0: unlimited).
	EnvRateLimit float64 `mapstructure:"env_rate_limit"`
	// EnvBurst is the burst of every key read from KeysEnv (0: max(1, ceil(rate))).
	EnvBurst int `mapstructure:"env_burst"`

	_ struct{}
}

// KeyConfig is one ingest key.
type KeyConfig struct {
	// Key is the secret clients send (Authorization: Bearer or X-API-Key).
	Key configopaque.String `mapstructure:"key"`
	// Project every span sent with this key is stored under.
	Project string `mapstructure:"project"`
	// RateLimit in spans per second (0: unlimited).
	RateLimit float64 `mapstructure:"rate_limit"`
	// Burst is the most spans the key may send at once (0: max(1, ceil(rate))).
	Burst int `mapstructure:"burst"`

	_ struct{}
}

// Validate reports every problem at once, each naming its field path; the
// keys of the environment variable are checked too when it is set. No
// message ever contains a secret.
func (c *Config) Validate() error {
	var errs []error
	if c.EnvRateLimit < 0 || math.IsNaN(c.EnvRateLimit) || math.IsInf(c.EnvRateLimit, 0) {
		errs = append(errs, fmt.Errorf("env_rate_limit: must be a finite number >= 0, got %v", c.EnvRateLimit))
	}
	if c.EnvBurst < 0 {
		errs = append(errs, fmt.Errorf("env_burst: must be >= 0, got %d", c.EnvBurst))
	}
	if len(errs) == 0 {
		if _, err := c.keys(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// keys returns the validated key set from the configuration and the
// environment.
func (c *Config) keys() (*apikey.Set, error) {
	keys := make([]apikey.Key, 0, len(c.Keys))
	for _, k := range c.Keys {
		keys = append(keys, apikey.Key{Secret: string(k.Key), Project: k.Project, Role: apikey.RoleIngest,
			RatePerSecond: k.RateLimit, Burst: k.Burst})
	}
	var errs []error
	if c.KeysEnv != "" {
		envKeys, err := parseEnvKeys(c.KeysEnv, os.Getenv(c.KeysEnv))
		if err != nil {
			errs = append(errs, err)
		}
		for _, k := range envKeys {
			k.RatePerSecond, k.Burst = c.EnvRateLimit, c.EnvBurst
			keys = append(keys, k)
		}
	}
	set, err := apikey.NewSet(keys)
	if err != nil {
		// apikey names keys by index; env keys follow the configured ones.
		errs = append(errs, fmt.Errorf("%w (keys[%d] and after come from $%s)", err, len(c.Keys), c.KeysEnv))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// parseEnvKeys parses "project:secret,project2:secret2". Errors name the
// entry by position, never by content.
func parseEnvKeys(name, v string) ([]apikey.Key, error) {
	var (
		keys []apikey.Key
		errs []error
	)
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		project, secret, ok := strings.Cut(entry, ":")
		if !ok || !canonical.ValidProject(project) {
			errs = append(errs, fmt.Errorf("$%s entry %d: must be project:secret with a project name of [a-z0-9._-]", name, i+1))
			continue
		}
		keys = append(keys, apikey.Key{Secret: secret, Project: project, Role: apikey.RoleIngest})
	}
	return keys, errors.Join(errs...)
}
