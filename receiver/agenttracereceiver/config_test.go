package agenttracereceiver

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) *Config {
		cfg := createDefaultConfig().(*Config)
		sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		return cfg
	}

	def := load("")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, DefaultGRPCEndpoint, def.GRPC.Get().NetAddr.Endpoint)
	assert.Equal(t, DefaultHTTPEndpoint, def.HTTP.Get().NetAddr.Endpoint)
	assert.Equal(t, DefaultUDPEndpoint, def.UDP.Get().Endpoint)
	assert.False(t, def.Unix.HasValue(), "the unix socket is off unless configured")

	custom := load("custom")
	require.NoError(t, confmap.Validate(custom))
	assert.Equal(t, "0.0.0.0:14322", custom.UDP.Get().Endpoint)
	assert.Equal(t, 4, custom.UDP.Get().Workers)
	assert.Equal(t, "/run/agenttrace/agenttrace.sock", custom.Unix.Get().Path)
	assert.Equal(t, 131072, custom.MaxContentBytes)
	assert.Equal(t, "agenttraceauth", custom.UDP.Get().Auth.Get().AuthenticatorID.String())
	assert.Equal(t, "agenttraceauth", custom.GRPC.Get().Auth.Get().AuthenticatorID.String())

	udpOnly := load("udp_only")
	require.NoError(t, confmap.Validate(udpOnly))
	assert.False(t, udpOnly.GRPC.HasValue())
	assert.True(t, udpOnly.UDP.HasValue())

	err = confmap.Validate(load("invalid"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least one of grpc, http, udp, unix must be enabled")
	assert.Contains(t, err.Error(), "max_attributes: must be >= 1")
}

// A listener other machines can reach needs an authenticator, unless the
// operator opts out by name.
func TestLoopbackOnlyWithoutAuth(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) *Config {
		cfg := createDefaultConfig().(*Config)
		sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		return cfg
	}
	err = confmap.Validate(load("exposed"))
	require.Error(t, err)
	for _, want := range []string{
		`grpc.endpoint: "0.0.0.0:14320" is not a loopback address and grpc.auth is not set`,
		`http.endpoint: ":14321" is not a loopback address and http.auth is not set`,
		`udp.endpoint: "192.0.2.10:14322" is not a loopback address and udp.auth is not set`,
		"allow_unauthenticated: true",
	} {
		assert.Contains(t, err.Error(), want)
	}
	require.NoError(t, confmap.Validate(load("exposed_allowed")))
	require.NoError(t, confmap.Validate(load("loopback")))
}
