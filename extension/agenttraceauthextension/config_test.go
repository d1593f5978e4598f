package agenttraceauthextension

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
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
	t.Setenv(DefaultKeysEnv, "")
	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, DefaultKeysEnv, def.KeysEnv)
	assert.Empty(t, def.Keys)

	keys := loadConfig(t, "keys")
	require.NoError(t, confmap.Validate(keys))
	require.Len(t, keys.Keys, 2)
	assert.Equal(t, "a", keys.Keys[0].Project)
	assert.InDelta(t, 100, keys.Keys[0].RateLimit, 0)
	assert.Equal(t, 200, keys.Keys[0].Burst)
	set, err := keys.keys()
	require.NoError(t, err)
	assert.Equal(t, 2, set.Len())
}

func TestValidateReportsEveryProblemWithoutSecrets(t *testing.T) {
	t.Setenv(DefaultKeysEnv, "")
	err := confmap.Validate(loadConfig(t, "invalid"))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{"env_rate_limit", "env_burst"} {
		assert.Contains(t, msg, want)
	}
	// Key problems are reported once the numeric options are fixed.
	cfg := loadConfig(t, "invalid")
	cfg.EnvRateLimit, cfg.EnvBurst = 0, 0
	msg = cfg.Validate().Error()
	for _, want := range []string{"keys[0].key: must be at least 16", "keys[0].project", "keys[0].rate_limit",
		"keys[0].burst", "keys[2].key: the same secret"} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, "short-secret")
	assert.NotContains(t, msg, "ingest-key-project-a-0001")
}

func TestEnvKeys(t *testing.T) {
	t.Setenv(DefaultKeysEnv, " a:env-secret-for-project-a , b:env:secret:with:colons ")
	cfg := createDefaultConfig().(*Config)
	cfg.EnvRateLimit, cfg.EnvBurst = 10, 20
	set, err := cfg.keys()
	require.NoError(t, err)
	require.Equal(t, 2, set.Len())
	a, ok := set.Lookup("env-secret-for-project-a")
	require.True(t, ok)
	assert.Equal(t, "a", a.Project)
	perSecond, burst := a.Limit()
	assert.InDelta(t, 10, perSecond, 0)
	assert.Equal(t, 20, burst)
	b, ok := set.Lookup("env:secret:with:colons")
	require.True(t, ok)
	assert.Equal(t, "b", b.Project)

	t.Setenv(DefaultKeysEnv, "no-colon-secret-0000000,Bad:secret-0000000000000000,c:short")
	err = createDefaultConfig().(*Config).Validate()
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "$AGENTTRACE_INGEST_KEYS entry 1")
	assert.Contains(t, msg, "$AGENTTRACE_INGEST_KEYS entry 2")
	assert.Contains(t, msg, "must be at least 16")
	for _, secret := range []string{"no-colon-secret", "secret-0000000000000000", "short"} {
		assert.NotContains(t, msg, secret)
	}
}
