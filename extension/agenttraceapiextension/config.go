package agenttraceapiextension

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/apikey"
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
	// Keys are API keys bound to a project ("*" for every project), with
	// the role read or admin and an optional rate limit (requests/s).
	Keys []KeyConfig `mapstructure:"keys"`
	// ReadKeys may call the read endpoints; AdminKeys every endpoint
	// (including deletes), both for every project. Keys from the
	// AGENTTRACE_API_KEYS and AGENTTRACE_API_ADMIN_KEYS environment
	// variables (comma-separated) are added to these.
	ReadKeys  []configopaque.String `mapstructure:"read_keys"`
	AdminKeys []configopaque.String `mapstructure:"admin_keys"`
	// TLS, when set, serves HTTPS only (cert_file, key_file, min_version…).
	TLS *configtls.ServerConfig `mapstructure:"tls"`
	// CORS is off unless origins are listed.
	CORS CORSConfig `mapstructure:"cors"`
	// AllowedHosts lists extra Host names accepted without API keys.
	AllowedHosts []string `mapstructure:"allowed_hosts"`
	// QueryTimeout bounds each non-streaming request.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`

	_ struct{}
}

// KeyConfig is one API key.
type KeyConfig struct {
	// Key is the secret clients send (Authorization: Bearer or X-API-Key).
	Key configopaque.String `mapstructure:"key"`
	// Project the key sees; "*" for every project.
	Project string `mapstructure:"project"`
	// Role is read or admin (admin may also delete).
	Role string `mapstructure:"role"`
	// RateLimit is the key's requests per second; 0 is unlimited.
	RateLimit float64 `mapstructure:"rate_limit"`
	// Burst is the most requests at once; 0 means max(1, ceil(rate_limit)).
	Burst int `mapstructure:"burst"`
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
	if c.TLS != nil {
		// The certificate files are read in Start (Validate does no I/O).
		if c.TLS.CertFile == "" && c.TLS.CertPem == "" {
			errs = append(errs, errors.New("tls.cert_file: a server certificate is required (cert_file or cert_pem)"))
		}
		if c.TLS.KeyFile == "" && c.TLS.KeyPem == "" {
			errs = append(errs, errors.New("tls.key_file: the certificate's private key is required (key_file or key_pem)"))
		}
		if err := c.TLS.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		}
	}
	return errors.Join(errs...)
}

// serverConfig is the API server's configuration, with the keys from the
// environment.
func (c *Config) serverConfig() apiserver.Config {
	api := apiserver.DefaultConfig()
	api.Endpoint = c.Endpoint
	for _, k := range c.Keys {
		api.Keys = append(api.Keys, apikey.Key{Secret: string(k.Key), Project: k.Project, Role: apikey.Role(k.Role),
			RatePerSecond: k.RateLimit, Burst: k.Burst})
	}
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
