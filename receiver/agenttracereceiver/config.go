package agenttracereceiver

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
)

var _ component.Config = (*Config)(nil)

// Config configures the native receiver. Every transport is optional; at
// least one must be enabled.
type Config struct {
	// GRPC serves the AgentTraceCollector service (default localhost:4320).
	GRPC configoptional.Optional[configgrpc.ServerConfig] `mapstructure:"grpc"`
	// HTTP serves POST /v1/spans, /v1/sessions/start|end and GET /health
	// (default localhost:4321).
	HTTP configoptional.Optional[confighttp.ServerConfig] `mapstructure:"http"`
	// UDP takes one protobuf SpanBatch per datagram (default localhost:4322).
	UDP configoptional.Optional[UDPConfig] `mapstructure:"udp"`
	// Unix serves the HTTP API on a unix socket (local only; off by default).
	Unix configoptional.Optional[UnixConfig] `mapstructure:"unix"`

	// MaxContentBytes truncates prompt, response and tool input/output text
	// longer than this (the span keeps *.truncated and *.original_bytes).
	MaxContentBytes int `mapstructure:"max_content_bytes"`
	// MaxAttributes rejects a span with more free attributes than this.
	MaxAttributes int `mapstructure:"max_attributes"`
	// MaxEvents rejects a span with more events than this.
	MaxEvents int `mapstructure:"max_events"`
	// MaxSpansPerBatch rejects a whole batch larger than this.
	MaxSpansPerBatch int `mapstructure:"max_spans_per_batch"`
	// MaxTrackedSessions bounds the sessions whose totals the receiver keeps
	// for EndSession answers (least recently used are forgotten first).
	MaxTrackedSessions int `mapstructure:"max_tracked_sessions"`

	// AllowUnauthenticated lets grpc, http or udp listen on a non-loopback
	// address without an authenticator. Off by default: anyone who can reach
	// such a port could write spans into any project.
	AllowUnauthenticated bool `mapstructure:"allow_unauthenticated"`

	_ struct{}
}

// UDPConfig configures the UDP listener.
type UDPConfig struct {
	// Endpoint is host:port to listen on.
	Endpoint string `mapstructure:"endpoint"`
	// ReadBufferBytes is the socket receive buffer (SO_RCVBUF); large
	// buffers absorb bursts on the fire-and-forget path.
	ReadBufferBytes int `mapstructure:"read_buffer_bytes"`
	// Workers is the number of goroutines decoding and ingesting datagrams;
	// one reader drains the socket into a bounded queue for them.
	Workers int `mapstructure:"workers"`
	// Auth names the authenticator (the agenttraceauth extension) that checks
	// the api_key field of every datagram; datagrams without a valid key are
	// dropped and counted. UDP has no headers, so the key travels in the
	// SpanBatch itself.
	Auth configoptional.Optional[configauth.Config] `mapstructure:"auth"`

	_ struct{}
}

// UnixConfig configures the unix-socket listener.
type UnixConfig struct {
	// Path of the socket file; a stale file is replaced on start.
	Path string `mapstructure:"path"`

	_ struct{}
}

// Validate reports every problem at once, each naming its field path.
func (c *Config) Validate() error {
	var errs []error
	if !c.GRPC.HasValue() && !c.HTTP.HasValue() && !c.UDP.HasValue() && !c.Unix.HasValue() {
		errs = append(errs, errors.New("at least one of grpc, http, udp, unix must be enabled"))
	}
	if u := c.UDP.Get(); c.UDP.HasValue() {
		if u.Endpoint == "" {
			errs = append(errs, errors.New("udp.endpoint: must not be empty"))
		}
		if u.ReadBufferBytes < 0 {
			errs = append(errs, fmt.Errorf("udp.read_buffer_bytes: must be >= 0, got %d", u.ReadBufferBytes))
		}
		if u.Workers < 1 || u.Workers > 64 {
			errs = append(errs, fmt.Errorf("udp.workers: must be between 1 and 64, got %d", u.Workers))
		}
	}
	errs = append(errs, c.validateExposure()...)
	if u := c.Unix.Get(); c.Unix.HasValue() && u.Path == "" {
		errs = append(errs, errors.New("unix.path: must not be empty"))
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"max_content_bytes", c.MaxContentBytes}, {"max_attributes", c.MaxAttributes},
		{"max_events", c.MaxEvents}, {"max_spans_per_batch", c.MaxSpansPerBatch},
		{"max_tracked_sessions", c.MaxTrackedSessions},
	} {
		if f.v < 1 {
			errs = append(errs, fmt.Errorf("%s: must be >= 1, got %d", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// validateExposure refuses a listener reachable from other machines without
// an authenticator, unless allow_unauthenticated says so. The unix socket is
// not checked: its file permissions (0600) are its authentication.
func (c *Config) validateExposure() []error {
	if c.AllowUnauthenticated {
		return nil
	}
	var errs []error
	check := func(name, endpoint string, hasAuth bool) {
		if endpoint != "" && !hasAuth && !isLoopback(endpoint) {
			errs = append(errs, fmt.Errorf("%s.endpoint: %q is not a loopback address and %s.auth is not set; "+
				"set %s.auth.authenticator (e.g. agenttraceauth) or allow_unauthenticated: true", name, endpoint, name, name))
		}
	}
	if g := c.GRPC.Get(); c.GRPC.HasValue() {
		check("grpc", g.NetAddr.Endpoint, g.Auth.HasValue())
	}
	if h := c.HTTP.Get(); c.HTTP.HasValue() {
		check("http", h.NetAddr.Endpoint, h.Auth.HasValue())
	}
	if u := c.UDP.Get(); c.UDP.HasValue() {
		check("udp", u.Endpoint, u.Auth.HasValue())
	}
	return errs
}

// isLoopback reports whether endpoint (host:port) only listens on the
// loopback interface. An empty host, a wildcard or an unresolved name other
// than localhost counts as exposed.
func isLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
