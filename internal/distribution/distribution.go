// Package distribution assembles the AgentTrace collector: its build info,
// its configuration providers (including the embedded default config) and
// the command line, for every binary that runs the collector.
package distribution

import (
	"context"
	"runtime/debug"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/httpprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"

	"github.com/agenttrace/agenttrace"
)

// EmbeddedConfigURI selects the configuration compiled into the binary.
const EmbeddedConfigURI = "embedded:default"

// Settings returns the collector settings for the given factories.
func Settings(factories func() (otelcol.Factories, error)) otelcol.CollectorSettings {
	return otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "agenttrace-collector",
			Description: "AgentTrace collector — observability for AI agents",
			Version:     agenttrace.Version,
		},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					httpprovider.NewFactory(),
					yamlprovider.NewFactory(),
					newEmbeddedFactory(),
				},
				DefaultScheme: "env",
			},
		},
	}
}

// WithDefaultConfig returns args with --config pointing at the embedded
// default configuration when the user gave none, so the binary runs with
// zero flags.
func WithDefaultConfig(args []string) []string {
	for _, a := range args {
		switch {
		case a == "--config", a == "-config", strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-config="),
			a == "-h", a == "--help", a == "help", a == "-v", a == "--version", a == "components":
			return args
		}
	}
	return append(append([]string{}, args...), "--config="+EmbeddedConfigURI)
}

// LocalMemoryLimit is the Go soft memory limit of local mode (the embedded
// configuration): with its memory_limiter (refusing data past 52 MiB of
// heap) and the SQLite exporter's 4 MiB byte-sized queue it bounds the
// process's memory while spans stream through (docs/benchmarks.md has the
// measured peak RSS against the 100 MB target).
const LocalMemoryLimit = 64 << 20

// ApplyMemoryLimit sets the Go soft memory limit to LocalMemoryLimit when
// args run the embedded configuration and GOMEMLIMIT is not set (the Go
// runtime applies GOMEMLIMIT itself). It returns the limit it set, or 0.
func ApplyMemoryLimit(args []string, getenv func(string) string) int64 {
	if !slices.Contains(args, "--config="+EmbeddedConfigURI) {
		return 0
	}
	return ApplyLocalMemoryLimit(getenv)
}

// ApplyLocalMemoryLimit sets the Go soft memory limit to LocalMemoryLimit
// unless GOMEMLIMIT is set, for a process that runs the embedded
// configuration (the collector binary, `agenttrace up`). It returns the
// limit it set, or 0.
func ApplyLocalMemoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	debug.SetMemoryLimit(LocalMemoryLimit)
	return LocalMemoryLimit
}

func newEmbeddedFactory() confmap.ProviderFactory {
	return confmap.NewProviderFactory(func(confmap.ProviderSettings) confmap.Provider { return embeddedProvider{} })
}

// embeddedProvider serves "embedded:default", the config.yaml in the binary.
type embeddedProvider struct{}

func (embeddedProvider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	if uri != EmbeddedConfigURI {
		return nil, &unknownEmbeddedError{uri: uri}
	}
	return confmap.NewRetrievedFromYAML(agenttrace.DefaultConfig)
}

func (embeddedProvider) Scheme() string                 { return "embedded" }
func (embeddedProvider) Shutdown(context.Context) error { return nil }

type unknownEmbeddedError struct{ uri string }

func (e *unknownEmbeddedError) Error() string {
	return "unknown embedded configuration " + e.uri + "; only " + EmbeddedConfigURI + " exists"
}
