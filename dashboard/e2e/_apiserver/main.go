// Command _apiserver serves the AgentTrace API and a dashboard folder over a
// SQLite store, for the dashboard's end-to-end tests and development while
// no collector build hosts the API. The leading underscore keeps it out of
// `go build ./...`; run it with `go run ./dashboard/e2e/_apiserver`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "apiserver:", err)
		os.Exit(1)
	}
}

func run() error {
	db := flag.String("db", "", "SQLite file written by the collector")
	endpoint := flag.String("endpoint", "127.0.0.1:0", "listen address")
	dir := flag.String("dashboard", "", "folder with the built dashboard (index.html)")
	flag.Parse()
	if *db == "" {
		return errors.New("-db is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := sqlitestore.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	cfg := apiserver.DefaultConfig()
	cfg.Endpoint = *endpoint
	var opts []apiserver.Option
	if *dir != "" {
		opts = append(opts, apiserver.WithDashboard(os.DirFS(*dir)))
	}
	srv, err := apiserver.New(cfg, store, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Endpoint)
	if err != nil {
		return err
	}
	// The e2e harness reads the address from this line.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
