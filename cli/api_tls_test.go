package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `agenttrace api --tls-cert --tls-key` serves HTTPS only.
func TestAPICommandTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "cli test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)

	var out, errOut syncBuffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		LookupEnv: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"api", "--storage", "sqlite://" + filepath.Join(dir, "a.db"), "--listen", "127.0.0.1:0",
			"--tls-cert", certFile, "--tls-key", keyFile}, env)
	}()
	var url string
	require.Eventually(t, func() bool {
		_, rest, ok := strings.Cut(out.String(), "dashboard on ")
		url, _, _ = strings.Cut(rest, " ")
		return ok && url != ""
	}, 10*time.Second, 20*time.Millisecond, "banner: %s %s", out.String(), errOut.String())
	require.True(t, strings.HasPrefix(url, "https://"), url)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url + "/api/v1/traces")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	plain := &http.Transport{}
	defer plain.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: plain, Timeout: 5 * time.Second}).Get("http://" + strings.TrimPrefix(url, "https://") + "/api/v1/traces"); err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "plain HTTP answered")
	}

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("api did not stop")
	}

	r := run(t, nil, "api", "--storage", "sqlite://"+filepath.Join(dir, "b.db"), "--tls-cert", certFile)
	assert.Equal(t, ExitUsage, r.code)
	r = run(t, nil, "api", "--storage", "sqlite://"+filepath.Join(dir, "b.db"), "--tls-cert", keyFile, "--tls-key", certFile)
	assert.Equal(t, ExitUsage, r.code)
}

// --project narrows lists, metrics and exports to one project and is
// checked before any request.
func TestProjectFlag(t *testing.T) {
	api := newTestAPI(t)
	count := func(args ...string) int {
		t.Helper()
		r := run(t, api, append(args, "-o", "json")...)
		require.Equal(t, 0, r.code, r.stderr)
		var items []map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &items), r.stdout)
		return len(items)
	}
	all := count("traces", "list")
	require.Positive(t, all)
	assert.Equal(t, all, count("traces", "list", "--project", "default"), "the seed has no project: default")
	assert.Zero(t, count("traces", "list", "--project", "team-x"))
	assert.Zero(t, count("sessions", "list", "--project", "team-x"))

	r := run(t, api, "metrics", "summary", "--since", "30d", "--project", "team-x", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var sum struct {
		Current struct {
			Spans int64 `json:"spans"`
		} `json:"current"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Zero(t, sum.Current.Spans)

	r = run(t, api, "traces", "list", "--project", "Team X")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "--project")
}
