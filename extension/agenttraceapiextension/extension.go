package agenttraceapiextension

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/dashboard"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/open"
)

var _ extension.Extension = (*apiExtension)(nil)

// apiExtension opens the store and serves the API while the collector runs.
type apiExtension struct {
	cfg *Config
	set extension.Settings

	mu     sync.Mutex
	store  storage.Store
	srv    *apiserver.Server
	served chan struct{} // closed when Serve returns
}

func newExtension(cfg *Config, set extension.Settings) *apiExtension {
	return &apiExtension{cfg: cfg, set: set}
}

// Start opens the store, binds the endpoint and serves in the background.
func (e *apiExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return errors.New("agenttrace_api: already started")
	}
	api := e.cfg.serverConfig()
	if e.cfg.TLS != nil {
		tc, err := e.cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return fmt.Errorf("agenttrace_api: tls: %w", err)
		}
		api.TLS = tc
	}
	store, err := open.Open(ctx, e.cfg.Storage)
	if err != nil {
		return fmt.Errorf("agenttrace_api: open storage: %w", err)
	}
	srv, err := apiserver.New(api, store,
		apiserver.WithLogger(e.set.Logger),
		apiserver.WithVersion(e.set.BuildInfo.Version),
		apiserver.WithDashboard(dashboard.Assets()))
	if err != nil {
		return errors.Join(fmt.Errorf("agenttrace_api: %w", err), store.Close())
	}
	ln, err := net.Listen("tcp", api.Endpoint)
	if err != nil {
		return errors.Join(fmt.Errorf("agenttrace_api: listen on %s: %w", api.Endpoint, err), store.Close())
	}
	e.store, e.srv, e.served = store, srv, make(chan struct{})
	e.set.Logger.Info("AgentTrace API listening", zap.String("endpoint", ln.Addr().String()),
		zap.Bool("api_keys", api.AuthEnabled()), zap.Bool("tls", api.TLS != nil))
	go func(done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("agenttrace_api: %w", err)))
		}
	}(e.served)
	return nil
}

// Shutdown stops serving and closes the store. It is safe to call on a
// nil or never-started extension, and more than once.
func (e *apiExtension) Shutdown(ctx context.Context) error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil {
		return nil
	}
	err := e.srv.Shutdown(ctx)
	select {
	case <-e.served:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	err = errors.Join(err, e.store.Close())
	e.srv, e.store = nil, nil
	return err
}
