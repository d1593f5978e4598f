package apiserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agenttrace/agenttrace/internal/apikey"
)

// A key over its rate limit gets 429 with the API's JSON error and a
// Retry-After; other keys are not affected, and the key recovers.
func TestRateLimitPerKey(t *testing.T) {
	st := openSQLite(t)
	seed(t, st)
	cfg := DefaultConfig()
	const limited, slow, other = "limited-key-0123456789", "slow-key-0123456789", "other-key-0123456789"
	cfg.Keys = []apikey.Key{
		{Secret: limited, Project: apikey.AllProjects, Role: apikey.RoleRead, RatePerSecond: 1, Burst: 2},
		{Secret: slow, Project: apikey.AllProjects, Role: apikey.RoleRead, RatePerSecond: 0.2, Burst: 1},
		{Secret: other, Project: apikey.AllProjects, Role: apikey.RoleRead},
	}
	s := newTestServer(t, st, cfg)
	get := func(path, key string) (int, http.Header, []byte) {
		return s.do(http.MethodGet, path, "X-API-Key: "+key)
	}
	for i := 0; i < 2; i++ {
		if code, _, body := get("/api/v1/traces", limited); code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i, code, body)
		}
	}
	// Spent: any route of the same key is refused.
	code, h, body := get("/api/v1/metrics/summary", limited)
	if code != http.StatusTooManyRequests {
		t.Fatalf("third request: %d %s, want 429", code, body)
	}
	if h.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", h.Get("Retry-After"))
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != codeRateLimited || e.Error.Message == "" {
		t.Errorf("429 body %s (%v), want the JSON error with code %s", body, err, codeRateLimited)
	}
	if strings.Contains(string(body), limited) {
		t.Error("the 429 body contains the key")
	}
	for i := 0; i < 5; i++ {
		if code, _, _ := get("/api/v1/traces", other); code != http.StatusOK {
			t.Fatalf("an unlimited key: %d", code)
		}
	}
	if code, _, _ := get("/api/v1/traces", slow); code != http.StatusOK {
		t.Fatalf("slow key, first request: %d", code)
	}
	if code, h, _ := get("/api/v1/traces", slow); code != http.StatusTooManyRequests || h.Get("Retry-After") != "5" {
		t.Errorf("slow key, second request: %d Retry-After %q, want 429 and 5", code, h.Get("Retry-After"))
	}
	time.Sleep(1100 * time.Millisecond)
	if code, _, body := get("/api/v1/traces", limited); code != http.StatusOK {
		t.Errorf("after a second the key has a token again: %d %s", code, body)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "agenttrace test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// With TLS configured, Serve speaks HTTPS only: a client trusting the
// certificate gets data, a plain-HTTP client does not.
func TestServeTLS(t *testing.T) {
	st := openSQLite(t)
	seed(t, st)
	cert, pool := selfSigned(t)
	cfg := DefaultConfig()
	cfg.Endpoint = "127.0.0.1:0"
	cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	addr := ln.Addr().String()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/api/v1/traces")
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), trResearch) {
		t.Fatalf("HTTPS: %d %.200s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("connection state %+v", resp.TLS)
	}

	plain := &http.Transport{}
	defer plain.CloseIdleConnections()
	resp, err = (&http.Client{Transport: plain, Timeout: 5 * time.Second}).Get("http://" + addr + "/api/v1/traces")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), trResearch) {
			t.Fatalf("plain HTTP got data: %d %.200s", resp.StatusCode, body)
		}
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("plain HTTP hung instead of failing: %v", err)
	}

	// A TLS 1.0 client is refused by min_version.
	old := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}
	defer old.CloseIdleConnections()
	if _, err := (&http.Client{Transport: old, Timeout: 5 * time.Second}).Get("https://" + addr + "/api/v1/traces"); err == nil {
		t.Error("a TLS 1.1 client was accepted with min version 1.2")
	}
}
