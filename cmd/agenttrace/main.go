// Command agenttrace is the AgentTrace command line: it runs the local
// stack, the API server and the terminal UI, and reads sessions, traces,
// spans and metrics from the API. The commands live in package cli.
package main

import (
	"context"
	"os"

	"github.com/agenttrace/agenttrace/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
}
