package agenttrace

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults.
const (
	DefaultGRPCAddr      = "127.0.0.1:4320"
	DefaultHTTPEndpoint  = "http://127.0.0.1:4321"
	DefaultUDPAddr       = "127.0.0.1:4322"
	DefaultQueueSize     = 8192
	DefaultBatchSize     = 512
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultTimeout       = 2 * time.Second
	DefaultMaxContent    = 8192
)

type config struct {
	exporter        Exporter
	exporterErr     error
	serviceName     string
	framework       string
	frameworkVer    string
	agentName       string
	userID          string
	queueSize       int
	batchSize       int
	flushInterval   time.Duration
	timeout         time.Duration
	maxContentBytes int
	captureContent  bool
	spanStart       bool
	disabled        bool
	logger          *log.Logger
	apiKey          string
}

// Option configures a Client.
type Option func(*config)

// WithExporter sets the exporter (default: gRPC to 127.0.0.1:4320, or what
// AGENTTRACE_EXPORTER / AGENTTRACE_ENDPOINT say).
func WithExporter(e Exporter) Option { return func(c *config) { c.exporter = e } }

// WithAPIKey sets the ingest key the default exporter sends (env
// AGENTTRACE_API_KEY): "Authorization: Bearer <key>" over gRPC and HTTP, the
// SpanBatch api_key field over UDP. Exporters made by hand take their own
// APIKey option.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithServiceName sets the resource's service.name (default: the program name).
func WithServiceName(name string) Option { return func(c *config) { c.serviceName = name } }

// WithDefaults sets the framework, its version, the agent name and the user
// id that spans carry unless their session or the span says otherwise.
func WithDefaults(framework, frameworkVersion, agentName, userID string) Option {
	return func(c *config) {
		c.framework, c.frameworkVer, c.agentName, c.userID = framework, frameworkVersion, agentName, userID
	}
}

// WithQueueSize bounds the span records waiting for export (default 8192);
// more are dropped and counted.
func WithQueueSize(n int) Option { return func(c *config) { c.queueSize = n } }

// WithBatchSize sets the span records per export request (default 512).
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

// WithFlushInterval sets the longest a span waits in the queue (default 200 ms).
func WithFlushInterval(d time.Duration) Option { return func(c *config) { c.flushInterval = d } }

// WithTimeout bounds each network request (default 2 s).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxContentBytes bounds prompt, response and tool text (default 8192).
func WithMaxContentBytes(n int) Option { return func(c *config) { c.maxContentBytes = n } }

// WithCaptureContent turns recording of prompts, responses and tool
// input/output on or off (default on; env AGENTTRACE_CAPTURE_CONTENT).
func WithCaptureContent(on bool) Option { return func(c *config) { c.captureContent = on } }

// WithSpanStartEvents turns the "running" copy sent when a span starts on
// or off (default on).
func WithSpanStartEvents(on bool) Option { return func(c *config) { c.spanStart = on } }

// WithDisabled keeps the API but sends nothing (env AGENTTRACE_DISABLED).
func WithDisabled(off bool) Option { return func(c *config) { c.disabled = off } }

// WithLogger sets where the SDK's few warnings go (default: stderr).
// Pass log.New(io.Discard, "", 0) to silence them.
func WithLogger(l *log.Logger) Option { return func(c *config) { c.logger = l } }

// defaultConfig reads the environment. A bad value disables tracing with one
// warning rather than failing the agent.
func defaultConfig() *config {
	c := &config{
		serviceName:     filepath.Base(os.Args[0]),
		queueSize:       DefaultQueueSize,
		batchSize:       DefaultBatchSize,
		flushInterval:   DefaultFlushInterval,
		timeout:         DefaultTimeout,
		maxContentBytes: DefaultMaxContent,
		captureContent:  true,
		spanStart:       true,
		logger:          log.New(os.Stderr, "agenttrace: ", log.LstdFlags),
	}
	if v := os.Getenv("AGENTTRACE_SERVICE_NAME"); v != "" {
		c.serviceName = v
	}
	c.apiKey = os.Getenv("AGENTTRACE_API_KEY")
	for _, b := range []struct {
		env string
		dst *bool
	}{{"AGENTTRACE_DISABLED", &c.disabled}, {"AGENTTRACE_CAPTURE_CONTENT", &c.captureContent}} {
		if v := os.Getenv(b.env); v != "" {
			on, err := strconv.ParseBool(v)
			if err != nil {
				c.exporterErr = fmt.Errorf("%s=%q: not a boolean", b.env, v)
				continue
			}
			*b.dst = on
		}
	}
	return c
}

// exporterFromEnv builds the exporter AGENTTRACE_EXPORTER names (grpc, http,
// http-json, udp; default grpc) with AGENTTRACE_ENDPOINT (http URL),
// AGENTTRACE_GRPC_ADDR and AGENTTRACE_UDP_ADDR, sending key (WithAPIKey,
// else AGENTTRACE_API_KEY).
func exporterFromEnv(timeout time.Duration, key string) (Exporter, error) {
	httpEndpoint := envOr("AGENTTRACE_ENDPOINT", DefaultHTTPEndpoint)
	switch kind := strings.ToLower(envOr("AGENTTRACE_EXPORTER", "grpc")); kind {
	case "grpc":
		return NewGRPCExporter(GRPCOptions{Addr: envOr("AGENTTRACE_GRPC_ADDR", DefaultGRPCAddr), APIKey: key, Timeout: timeout})
	case "http", "http-json":
		return NewHTTPExporter(HTTPOptions{Endpoint: httpEndpoint, JSON: kind == "http-json", APIKey: key, Timeout: timeout})
	case "udp":
		return NewUDPExporter(UDPOptions{Addr: envOr("AGENTTRACE_UDP_ADDR", DefaultUDPAddr), SessionEndpoint: httpEndpoint, APIKey: key, Timeout: timeout})
	default:
		return nil, fmt.Errorf("AGENTTRACE_EXPORTER=%q: want grpc, http, http-json or udp", kind)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (c *config) validate() error {
	switch {
	case c.queueSize < 1:
		return fmt.Errorf("agenttrace: queue size must be >= 1, got %d", c.queueSize)
	case c.batchSize < 1:
		return fmt.Errorf("agenttrace: batch size must be >= 1, got %d", c.batchSize)
	case c.flushInterval <= 0:
		return fmt.Errorf("agenttrace: flush interval must be > 0, got %s", c.flushInterval)
	case c.timeout <= 0:
		return fmt.Errorf("agenttrace: timeout must be > 0, got %s", c.timeout)
	case c.maxContentBytes < 0:
		return fmt.Errorf("agenttrace: max content bytes must be >= 0, got %d", c.maxContentBytes)
	}
	if c.logger == nil {
		c.logger = log.New(io.Discard, "", 0)
	}
	return nil
}
