package agenttraceapiextension

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/storage/open"
)

var _ component.Config = (*Config)(nil)

// Config configures the in-process API server.
type Config struct {
	// Endpoint is the listen address. Binding anything but loopback needs
	// API keys.
	Endpoint string `mapstructure:"endpoint"`
	// Storage is the store's DSN: sqlite://PATH or postgres://…
	Storage string `mapstructure:"storage"`
	// ReadKeys may call the read endpoints; AdminKeys every endpoint
	// (including deletes). Keys from the AGENTTRACE_API_KEYS and
	// AGENTTRACE_API_ADMIN_KEYS environment variables (comma-separated) are
	// added to these.
	ReadKeys  []configopaque.String `mapstructure:"read_keys"`
	AdminKeys []configopaque.String `mapstructure:"admin_keys"`
	// CORS is off unless origins are listed.
	CORS CORSConfig `mapstructure:"cors"`
	// AllowedHosts lists extra Host names accepted without API keys.
	AllowedHosts []string `mapstructure:"allowed_hosts"`
	// QueryTimeout bounds each non-streaming request.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`

	_ struct{}
}

// CORSConfig lists the browser origins allowed to call the API.
type CORSConfig struct {
	AllowedOrigins []string `mapstructure:"allowed_origins"`
}

// Validate reports every problem at once, each naming its field path.
// It reads the key environment variables, since a non-loopback endpoint is
// valid when they hold keys.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := open.Parse(c.Storage); err != nil {
		errs = append(errs, fmt.Errorf("storage: %w", err))
	}
	api := c.serverConfig()
	if err := api.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// serverConfig is the API server's configuration, with the keys from the
// environment.
func (c *Config) serverConfig() apiserver.Config {
	api := apiserver.DefaultConfig()
	api.Endpoint = c.Endpoint
	api.ReadKeys = opaque(c.ReadKeys)
	api.AdminKeys = opaque(c.AdminKeys)
	api.AllowedOrigins = c.CORS.AllowedOrigins
	api.AllowedHosts = c.AllowedHosts
	if c.QueryTimeout != 0 {
		api.QueryTimeout = c.QueryTimeout
	}
	api.LoadEnv(os.LookupEnv)
	return api
}

func opaque(keys []configopaque.String) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	return out
}
