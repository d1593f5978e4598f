package agenttraceapiextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/apikey"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")

	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, "127.0.0.1:8080", def.Endpoint)
	assert.Equal(t, "sqlite://./data/agenttrace.db", def.Storage)
	assert.Empty(t, def.CORS.AllowedOrigins)

	custom := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(custom))
	assert.Equal(t, "0.0.0.0:9090", custom.Endpoint)
	assert.Equal(t, []configopaque.String{"admin-key-0123456789abcdef"}, custom.AdminKeys)
	assert.Equal(t, []string{"https://dash.example.com"}, custom.CORS.AllowedOrigins)
	assert.Equal(t, 10*time.Second, custom.QueryTimeout)
	api := custom.serverConfig()
	assert.Equal(t, []string{"read-key-0123456789abcdef"}, api.ReadKeys)
	assert.Equal(t, []string{"agenttrace.internal"}, api.AllowedHosts)

	err := confmap.Validate(loadConfig(t, "invalid"))
	require.Error(t, err)
	for _, want := range []string{"storage: storage DSN scheme mysql", "read_keys[0]", "cors.allowed_origins[0]"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestLoadProjectKeysAndTLS(t *testing.T) {
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")
	cfg := loadConfig(t, "projects")
	require.NoError(t, confmap.Validate(cfg))
	api := cfg.serverConfig()
	require.Len(t, api.Keys, 2)
	assert.Equal(t, apikey.Key{Secret: "team-a-read-0123456789", Project: "team-a", Role: apikey.RoleRead, RatePerSecond: 20, Burst: 40}, api.Keys[0])
	assert.Equal(t, apikey.AllProjects, api.Keys[1].Project)
	assert.Equal(t, apikey.RoleAdmin, api.Keys[1].Role)
	require.NotNil(t, cfg.TLS)
	assert.Equal(t, "/etc/agenttrace/tls/api.crt", cfg.TLS.CertFile)
	assert.Equal(t, "1.3", cfg.TLS.MinVersion)
	assert.NotContains(t, cfg.Keys[0].Key.String(), "team-a-read", "keys are masked when printed")

	err := confmap.Validate(loadConfig(t, "bad_keys"))
	require.Error(t, err)
	for _, want := range []string{"keys[0].key", "keys[0].project", "keys[1].role", "keys[1].rate_limit",
		"tls.cert_file", "tls:"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestConfigKeysFromEnvironment(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = "0.0.0.0:8080"
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "api keys are required")

	t.Setenv(apiserver.EnvAdminKeys, "admin-key-from-env-0123456789")
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"admin-key-from-env-0123456789"}, cfg.serverConfig().AdminKeys)
}

func TestKeysAreMaskedWhenPrinted(t *testing.T) {
	cfg := loadConfig(t, "custom")
	assert.NotContains(t, cfg.AdminKeys[0].String(), "admin-key")
}
