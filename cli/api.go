package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace"
	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/dashboard"
	"github.com/agenttrace/agenttrace/internal/storage/open"
)

func (a *app) apiCommand() *cobra.Command {
	var (
		storageDSN, listen, dashboardDir string
		tlsCert, tlsKey                  string
		origins, hosts                   []string
		livePoll                         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Run the API server and dashboard on their own, over a store",
		Long: `Run the AgentTrace API (REST under /api/v1, the live WebSocket, exports,
OpenAPI document) and the dashboard over a store written by collectors
elsewhere: the SQLite file of a local collector, or PostgreSQL/TimescaleDB.

API keys come from ` + apiserver.EnvReadKeys + ` and ` + apiserver.EnvAdminKeys + ` (comma-separated); they
are required when listening on anything but a loopback address. Keys from the
environment see every project; for keys bound to projects, with rate limits,
host the API in the collector (the agenttrace_api extension's keys setting).`,
		Example: `  agenttrace api --storage sqlite://./data/agenttrace.db
  AGENTTRACE_API_KEYS=… agenttrace api --storage postgres://agenttrace@db:5432/agenttrace --listen 0.0.0.0:8080`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := open.Parse(storageDSN); err != nil {
				return usageError("--storage: %v", err)
			}
			cfg := apiserver.DefaultConfig()
			cfg.Endpoint = listen
			cfg.AllowedOrigins = origins
			cfg.AllowedHosts = hosts
			if livePoll > 0 {
				cfg.LivePollInterval = livePoll
			}
			cfg.LoadEnv(a.env.LookupEnv)
			if (tlsCert == "") != (tlsKey == "") {
				return usageError("--tls-cert and --tls-key go together")
			}
			if tlsCert != "" {
				cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return usageError("--tls-cert/--tls-key: %v", err)
				}
				cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			if err := cfg.Validate(); err != nil {
				return usageError("%v", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			store, err := open.Open(ctx, storageDSN)
			if err != nil {
				return fmt.Errorf("open the store: %w", err)
			}
			defer store.Close()
			logger, err := zap.NewProduction()
			if err != nil {
				return err
			}
			defer logger.Sync() //nolint:errcheck // stderr
			assets := dashboard.Assets()
			if dashboardDir != "" {
				assets = os.DirFS(dashboardDir)
			}
			srv, err := apiserver.New(cfg, store, apiserver.WithLogger(logger), apiserver.WithVersion(agenttrace.Version),
				apiserver.WithDashboard(assets))
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Endpoint)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", cfg.Endpoint, err)
			}
			scheme := "http"
			if cfg.TLS != nil {
				scheme = "https"
			}
			fmt.Fprintf(a.env.Stdout, "AgentTrace API and dashboard on %s://%s (store %s, %s)\n", scheme, dialAddr(ln.Addr().String()),
				redactDSN(storageDSN), map[bool]string{true: "API keys required", false: "no API keys"}[cfg.AuthEnabled()])
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return errors.Join(srv.Shutdown(sctx), <-done)
		},
	}
	f := cmd.Flags()
	f.StringVar(&storageDSN, "storage", open.DefaultDSN, "store: sqlite://PATH or postgres://…")
	f.StringVar(&listen, "listen", apiserver.DefaultEndpoint, "listen address")
	f.StringVar(&dashboardDir, "dashboard-dir", "", "serve the dashboard from this directory instead of the embedded one")
	f.StringArrayVar(&origins, "cors-origin", nil, "allow this origin (scheme://host[:port]) for CORS and WebSockets (repeatable)")
	f.StringArrayVar(&hosts, "allowed-host", nil, "accept this Host header without API keys (repeatable)")
	f.DurationVar(&livePoll, "live-poll", 0, "how often the live stream polls the store (default 250ms)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS only, with this PEM certificate (needs --tls-key)")
	f.StringVar(&tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	return cmd
}

// redactDSN hides a password in a PostgreSQL URL.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":***@" + host
	}
	return dsn
}
