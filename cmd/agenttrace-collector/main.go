// Command agenttrace-collector is the AgentTrace OpenTelemetry Collector
// distribution. Without --config it runs the embedded default configuration
// (local mode: native + OTLP receivers on 127.0.0.1, SQLite store).
package main

import (
	"log"
	"os"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/agenttrace/agenttrace/internal/distribution"
)

func main() {
	cmd := otelcol.NewCommand(distribution.Settings(components))
	args := distribution.WithDefaultConfig(os.Args[1:])
	distribution.ApplyMemoryLimit(args, os.Getenv)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		log.Fatal(err)
	}
}
