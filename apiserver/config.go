package apiserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/agenttrace/agenttrace/internal/apikey"
)

// Environment variables read by Config.LoadEnv: comma-separated API keys.
const (
	EnvReadKeys  = "AGENTTRACE_API_KEYS"
	EnvAdminKeys = "AGENTTRACE_API_ADMIN_KEYS"
)

// DefaultEndpoint is the local-mode listen address.
const DefaultEndpoint = "127.0.0.1:8080"

// Config configures the API server.
type Config struct {
	// Endpoint is the listen address (host:port).
	Endpoint string
	// Keys are the API keys: each belongs to a project (or "*", every
	// project), has the role read or admin, and may carry a rate limit in
	// requests per second.
	Keys []apikey.Key
	// ReadKeys may call every read endpoint of every project (shorthand for
	// Keys with project "*", role read, no rate limit).
	ReadKeys []string
	// AdminKeys may call every endpoint of every project, including deletes.
	AdminKeys []string
	// TLS, when set, makes Serve speak HTTPS only (crypto/tls server
	// configuration with at least one certificate).
	TLS *tls.Config
	// AllowedOrigins lists the origins (scheme://host[:port]) allowed by
	// CORS and for cross-origin WebSocket connections; "*" allows any.
	// Empty (the default) sends no CORS headers.
	AllowedOrigins []string
	// AllowedHosts lists extra Host header names accepted while no keys are
	// configured (loopback names are always accepted). Checking the Host
	// header stops DNS-rebinding pages from reading an unauthenticated
	// local API.
	AllowedHosts []string
	// QueryTimeout bounds each non-streaming request's storage work.
	QueryTimeout time.Duration
	// LivePollInterval is how often the default live source polls the store.
	LivePollInterval time.Duration
}

// DefaultConfig returns the local-mode defaults: loopback, no keys, no CORS.
func DefaultConfig() Config {
	return Config{
		Endpoint:         DefaultEndpoint,
		QueryTimeout:     30 * time.Second,
		LivePollInterval: 250 * time.Millisecond,
	}
}

// LoadEnv appends the keys found in EnvReadKeys and EnvAdminKeys.
func (c *Config) LoadEnv(lookup func(string) (string, bool)) {
	c.ReadKeys = append(c.ReadKeys, splitKeys(lookup, EnvReadKeys)...)
	c.AdminKeys = append(c.AdminKeys, splitKeys(lookup, EnvAdminKeys)...)
}

func splitKeys(lookup func(string) (string, bool), name string) []string {
	v, ok := lookup(name)
	if !ok {
		return nil
	}
	var keys []string
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// AuthEnabled reports whether any key is configured; without keys every
// endpoint is open (allowed on loopback binds only).
func (c *Config) AuthEnabled() bool { return len(c.Keys)+len(c.ReadKeys)+len(c.AdminKeys) > 0 }

// allKeys is Keys plus ReadKeys and AdminKeys as keys of every project.
func (c *Config) allKeys() []apikey.Key {
	keys := append([]apikey.Key{}, c.Keys...)
	for _, k := range c.ReadKeys {
		keys = append(keys, apikey.Key{Secret: k, Project: apikey.AllProjects, Role: apikey.RoleRead})
	}
	for _, k := range c.AdminKeys {
		keys = append(keys, apikey.Key{Secret: k, Project: apikey.AllProjects, Role: apikey.RoleAdmin})
	}
	return keys
}

// minKeyLength keeps guessable keys out.
const minKeyLength = 16

// Validate reports every problem at once, each naming its field.
func (c *Config) Validate() error {
	var errs []error
	host, port, err := net.SplitHostPort(c.Endpoint)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("endpoint: %w", err))
	case port == "":
		errs = append(errs, errors.New("endpoint: missing port"))
	case !IsLoopbackHost(host) && !c.AuthEnabled():
		errs = append(errs, fmt.Errorf("endpoint: %q is not a loopback address, so api keys are required (keys, read_keys/admin_keys or %s/%s)", c.Endpoint, EnvReadKeys, EnvAdminKeys))
	}
	keysOK := true
	for i, k := range c.Keys {
		where := fmt.Sprintf("keys[%d]", i)
		if err := k.Validate(where); err != nil {
			errs, keysOK = append(errs, err), false
		} else if k.Role == apikey.RoleIngest {
			errs, keysOK = append(errs, fmt.Errorf("%s.role: the API takes read or admin keys; ingest keys belong to the receivers", where)), false
		}
	}
	for i, k := range c.ReadKeys {
		if len(k) < minKeyLength {
			errs = append(errs, fmt.Errorf("read_keys[%d]: shorter than %d characters", i, minKeyLength))
		}
	}
	for i, k := range c.AdminKeys {
		if len(k) < minKeyLength {
			errs = append(errs, fmt.Errorf("admin_keys[%d]: shorter than %d characters", i, minKeyLength))
		}
	}
	for i, o := range c.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("cors.allowed_origins[%d]: %q is not an origin (scheme://host[:port])", i, o))
		}
	}
	for i, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			errs = append(errs, fmt.Errorf("allowed_hosts[%d]: %q is not a host name", i, h))
		}
	}
	if keysOK && len(errs) == 0 {
		// Duplicate secrets across keys, read_keys and admin_keys.
		if _, err := apikey.NewSet(c.allKeys()); err != nil {
			errs = append(errs, fmt.Errorf("keys (with read_keys and admin_keys appended): %w", err))
		}
	}
	if c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil && c.TLS.GetConfigForClient == nil {
		errs = append(errs, errors.New("tls: no server certificate"))
	}
	if c.QueryTimeout < 0 {
		errs = append(errs, errors.New("query_timeout: must not be negative"))
	}
	if c.LivePollInterval < 0 {
		errs = append(errs, errors.New("live_poll_interval: must not be negative"))
	}
	return errors.Join(errs...)
}

// IsLoopbackHost reports whether a listen host only accepts local
// connections. The empty host (all interfaces) is not loopback.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
