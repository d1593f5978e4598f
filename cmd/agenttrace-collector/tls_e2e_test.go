package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir and returns their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "agenttrace-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestReceiversServeTLS: with the standard tls block, the native gRPC and
// HTTP receivers and the OTLP receiver (gRPC and HTTP) accept a TLS client
// and refuse plaintext.
func TestReceiversServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	var (
		grpcAddr     = fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
		httpAddr     = fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
		otlpGRPCAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
		otlpHTTPAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
		db           = filepath.Join(dir, "agenttrace.db")
	)
	tlsBlock := fmt.Sprintf(`{cert_file: %q, key_file: %q, min_version: "1.2"}`, certFile, keyFile)
	cfg := fmt.Sprintf(`
receivers:
  agenttrace:
    grpc: {endpoint: %q, tls: %s}
    http: {endpoint: %q, tls: %s}
    udp: {enabled: false}
  otlp:
    protocols:
      grpc: {endpoint: %q, tls: %s}
      http: {endpoint: %q, tls: %s}
exporters:
  sqlite: {path: %q}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces: {receivers: [agenttrace, otlp], processors: [], exporters: [sqlite]}
`, grpcAddr, tlsBlock, httpAddr, tlsBlock, otlpGRPCAddr, tlsBlock, otlpHTTPAddr, tlsBlock, db)
	s := &stack{}
	runConfig(t, s, cfg)
	defer s.stop(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tlsHTTP := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
	plainHTTP := &http.Client{Timeout: 10 * time.Second}
	tlsCreds := grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	plainCreds := grpc.WithTransportCredentials(insecure.NewCredentials())

	// Native HTTP.
	body, err := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{nativeSpan(1, "7150000000000000000000000000a001")}})
	require.NoError(t, err)
	resp, err := tlsHTTP.Post("https://"+httpAddr+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "native HTTP over TLS")
	resp, err = plainHTTP.Post("http://"+httpAddr+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "Go's TLS server answers plaintext with 400 and serves nothing")
	}

	// OTLP/HTTP.
	otlpBody, err := ptraceotlp.NewExportRequest().MarshalProto()
	require.NoError(t, err)
	resp, err = tlsHTTP.Post("https://"+otlpHTTPAddr+"/v1/traces", "application/x-protobuf", bytes.NewReader(otlpBody))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "OTLP/HTTP over TLS")
	resp, err = plainHTTP.Post("http://"+otlpHTTPAddr+"/v1/traces", "application/x-protobuf", bytes.NewReader(otlpBody))
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "OTLP/HTTP refuses plaintext")
	}

	// Native gRPC.
	for _, tc := range []struct {
		creds grpc.DialOption
		ok    bool
	}{{tlsCreds, true}, {plainCreds, false}} {
		conn, err := grpc.NewClient(grpcAddr, tc.creds)
		require.NoError(t, err)
		_, err = atv1.NewAgentTraceCollectorClient(conn).SendSpan(ctx, &atv1.SendSpanRequest{Span: nativeSpan(2, "7150000000000000000000000000b002")})
		if tc.ok {
			assert.NoError(t, err, "native gRPC over TLS")
		} else {
			assert.Error(t, err, "native gRPC in plaintext")
		}
		conn.Close()

		conn, err = grpc.NewClient(otlpGRPCAddr, tc.creds)
		require.NoError(t, err)
		_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequest())
		if tc.ok {
			assert.NoError(t, err, "OTLP/gRPC over TLS")
		} else {
			assert.Error(t, err, "OTLP/gRPC in plaintext")
		}
		conn.Close()
	}
}
