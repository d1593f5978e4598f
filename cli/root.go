// Package cli is the `agenttrace` command line: it starts and stops the
// local stack (`up`, `down`, `status`, `logs`), runs the API server or the
// terminal UI on their own, applies migrations, shows and validates the
// collector configuration, and reads sessions, traces, spans and metrics
// from the API for people (aligned tables) and scripts (`--output json`).
//
// Every reading command talks to the API (--api, AGENTTRACE_API, default
// http://127.0.0.1:8080) and fails with a clear message and a non-zero exit
// status when the API is unreachable or an id is unknown. Exit statuses: 1
// error, 2 usage, 3 API unreachable, 4 not found.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
)

// Exit statuses of Main.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitUnreachable = 3
	ExitNotFound    = 4
)

// Env is what the commands read and write, so tests run them in process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// LookupEnv reads environment variables (os.LookupEnv by default).
	LookupEnv func(string) (string, bool)
}

// OSEnv is the process's standard streams and environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
}

// Main runs the command line with args (without the program name) and
// returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	cmd := NewCommand(env)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.silent {
		return code
	}
	fmt.Fprintf(env.Stderr, "agenttrace: %v\n", err)
	if code == ExitUsage {
		fmt.Fprintln(env.Stderr, "Run 'agenttrace --help' for usage.")
	}
	return code
}

// exitError carries an exit status.
type exitError struct {
	code int
	err  error
	// silent: the command already told the user; only the status remains.
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	var ee *exitError
	var ue *apiclient.UnreachableError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return ExitUnreachable
	case apiclient.IsNotFound(err):
		return ExitNotFound
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"):
		return ExitUsage
	}
	return ExitError
}

// app holds the global flags and what the commands share.
type app struct {
	env    Env
	apiURL string
	apiKey string
	output string
}

const (
	outputTable = "table"
	outputJSON  = "json"
)

// NewCommand builds the agenttrace command tree.
func NewCommand(env Env) *cobra.Command {
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	a := &app{env: env}
	root := &cobra.Command{
		Use:   "agenttrace",
		Short: "AgentTrace — observability for AI agents",
		Long: `AgentTrace shows what your agents did, step by step, what each step cost, and how
fast and reliably they ran — live.

Start the local stack with 'agenttrace up', point an SDK at it, then read your
traces here, in the terminal UI ('agenttrace tui') or in the dashboard.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.output != outputTable && a.output != outputJSON {
				return usageError("--output %q: want table or json", a.output)
			}
			return nil
		},
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: ExitUsage, err: err} })

	defaultAPI, _ := env.LookupEnv(apiclient.EnvAPI)
	if defaultAPI == "" {
		defaultAPI = apiclient.DefaultURL
	}
	defaultKey, _ := env.LookupEnv(apiclient.EnvAPIKey)
	pf := root.PersistentFlags()
	pf.StringVar(&a.apiURL, "api", defaultAPI, "AgentTrace API URL (env "+apiclient.EnvAPI+")")
	pf.StringVar(&a.apiKey, "api-key", defaultKey, "API key (env "+apiclient.EnvAPIKey+")")
	pf.StringVarP(&a.output, "output", "o", outputTable, "output format: table (for people) or json (for scripts)")

	root.AddGroup(
		&cobra.Group{ID: "stack", Title: "Run AgentTrace:"},
		&cobra.Group{ID: "read", Title: "Read traces (from the API):"},
		&cobra.Group{ID: "admin", Title: "Operate:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("stack", a.upCommand(), a.downCommand(), a.statusCommand(), a.logsCommand(), a.tuiCommand(), a.apiCommand())
	add("read", a.sessionsCommand(), a.tracesCommand(), a.spansCommand(), a.metricsCommand(), a.exportCommand())
	add("admin", a.migrateCommand(), a.configCommand(), a.versionCommand())
	return root
}

// client returns the API client of the global flags.
func (a *app) client() (*apiclient.Client, error) {
	c, err := apiclient.New(a.apiURL, a.apiKey)
	if err != nil {
		return nil, usageError("--api: %v", err)
	}
	return c, nil
}

func (a *app) jsonOutput() bool { return a.output == outputJSON }

// printJSON writes v as indented JSON; json.RawMessage values are
// re-indented as they came from the API.
func (a *app) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = a.env.Stdout.Write(b)
	return err
}

// rawList turns raw items into a JSON array that prints as [] when empty.
func rawList(items []json.RawMessage) []json.RawMessage {
	if items == nil {
		return []json.RawMessage{}
	}
	return items
}

// exactArgs requires n arguments, named in the error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageError("%s needs %s (got %d argument%s)", cmd.CommandPath(), strings.Join(names, " and "),
				len(args), map[bool]string{true: "", false: "s"}[len(args) == 1])
		}
		return nil
	}
}

// notFound turns the API's 404 into "<what> <id> not found".
func notFound(err error, what, id string) error {
	if apiclient.IsNotFound(err) {
		return &exitError{code: ExitNotFound, err: fmt.Errorf("%s %s not found", what, id)}
	}
	return err
}
