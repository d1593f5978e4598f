package agenttraceapiextension

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/agenttrace/agenttrace/apiserver"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key as PEM
// files and returns their paths and a pool trusting the certificate.
func writeSelfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "agenttrace api test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(leaf)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile, pool
}

// With tls configured the extension serves HTTPS only, and its project
// keys are enforced.
func TestServesTLSWithProjectKeys(t *testing.T) {
	t.Setenv(apiserver.EnvReadKeys, "")
	t.Setenv(apiserver.EnvAdminKeys, "")
	certFile, keyFile, pool := writeSelfSigned(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = freeEndpoint(t)
	cfg.Storage = "sqlite://" + filepath.Join(t.TempDir(), "agenttrace.db")
	cfg.Keys = []KeyConfig{{Key: "team-a-read-0123456789", Project: "team-a", Role: "read"}}
	tc := configtls.NewDefaultServerConfig()
	tc.CertFile, tc.KeyFile, tc.MinVersion = certFile, keyFile, "1.2"
	cfg.TLS = &tc
	require.NoError(t, cfg.Validate())
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	get := func(key string) int {
		req, err := http.NewRequest(http.MethodGet, "https://"+cfg.Endpoint+"/api/v1/traces", nil)
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("team-a-read-0123456789"))
	assert.Equal(t, http.StatusUnauthorized, get(""))

	plain := &http.Transport{}
	defer plain.CloseIdleConnections()
	resp, err := (&http.Client{Transport: plain, Timeout: 5 * time.Second}).Get("http://" + cfg.Endpoint + "/api/v1/health")
	if err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "plain HTTP answered")
	}
}

func TestStartFailsOnMissingCertificate(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = freeEndpoint(t)
	cfg.Storage = "sqlite://" + filepath.Join(t.TempDir(), "agenttrace.db")
	tc := configtls.NewDefaultServerConfig()
	tc.CertFile, tc.KeyFile = filepath.Join(t.TempDir(), "none.crt"), filepath.Join(t.TempDir(), "none.key")
	cfg.TLS = &tc
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	err = ext.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tls")
	require.NoError(t, ext.Shutdown(context.Background()))
}
