package agenttraceapiextension

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/apiserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

func freeEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "agenttrace_api", f.Type().String())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")
	require.NoError(t, cfg.Validate())

	// Create does no I/O: an unusable storage path fails in Start only.
	cfg.Storage = "sqlite://" + filepath.Join(t.TempDir(), "file-not-dir", "\x00", "x.db")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.Error(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestStartServeShutdown(t *testing.T) {
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Endpoint = freeEndpoint(t)
	cfg.Storage = "sqlite://" + filepath.Join(t.TempDir(), "data", "agenttrace.db")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)

	// Never started: Shutdown is a no-op.
	require.NoError(t, ext.Shutdown(context.Background()))

	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	require.Error(t, ext.Start(context.Background(), componenttest.NewNopHost()), "second Start")
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/health", "/api/v1/traces", "/api/v1/openapi.json", "/"} {
		resp, err := client.Get("http://" + cfg.Endpoint + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
		if path == "/api/v1/traces" {
			var page map[string]any
			require.NoError(t, json.Unmarshal(body, &page))
			assert.Contains(t, page, "items")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ext.Shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx), "second Shutdown")
	_, err = client.Get("http://" + cfg.Endpoint + "/health")
	assert.Error(t, err, "still serving after Shutdown")
}

func TestStartFailsOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = ln.Addr().String()
	cfg.Storage = "sqlite://" + filepath.Join(t.TempDir(), "agenttrace.db")
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	err = ext.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen")
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestNilShutdown(t *testing.T) {
	var e *apiExtension
	require.NoError(t, e.Shutdown(context.Background()))
}
