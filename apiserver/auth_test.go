package apiserver

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/agenttrace/agenttrace/internal/apikey"
)

const (
	readKey  = "read-key-0123456789abcdef"
	adminKey = "admin-key-0123456789abcdef"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   func(*Config)
		wants []string // substrings of the error; none means valid
	}{
		{"default", func(*Config) {}, nil},
		{"ipv6 loopback", func(c *Config) { c.Endpoint = "[::1]:8080" }, nil},
		{"localhost", func(c *Config) { c.Endpoint = "localhost:0" }, nil},
		{"public without keys", func(c *Config) { c.Endpoint = "0.0.0.0:8080" }, []string{"endpoint", "api keys are required"}},
		{"all interfaces without keys", func(c *Config) { c.Endpoint = ":8080" }, []string{"endpoint"}},
		{"public with keys", func(c *Config) { c.Endpoint = "0.0.0.0:8080"; c.ReadKeys = []string{readKey} }, nil},
		{"bad endpoint", func(c *Config) { c.Endpoint = "8080" }, []string{"endpoint"}},
		{"public with project keys", func(c *Config) {
			c.Endpoint = "0.0.0.0:8080"
			c.Keys = []apikey.Key{{Secret: readKey, Project: "team-a", Role: apikey.RoleRead, RatePerSecond: 5}}
		}, nil},
		{"bad project keys", func(c *Config) {
			c.Keys = []apikey.Key{
				{Secret: "short", Project: "Team A", Role: apikey.RoleRead},
				{Secret: readKey, Project: "team-a", Role: apikey.RoleIngest},
				{Secret: adminKey, Project: "*", Role: "owner", RatePerSecond: -1},
			}
		}, []string{"keys[0].key", "keys[0].project", "keys[1].role", "keys[2].role", "keys[2].rate_limit"}},
		{"same secret twice", func(c *Config) {
			c.Keys = []apikey.Key{{Secret: readKey, Project: "team-a", Role: apikey.RoleRead}}
			c.AdminKeys = []string{readKey}
		}, []string{"configured twice"}},
		{"tls without certificate", func(c *Config) { c.TLS = &tls.Config{} }, []string{"tls: no server certificate"}},
		{"everything wrong", func(c *Config) {
			c.ReadKeys = []string{"short"}
			c.AdminKeys = []string{readKey, "x"}
			c.AllowedOrigins = []string{"https://ok.example", "ftp://x", "https://a.example/path", "*"}
			c.AllowedHosts = []string{"a b"}
			c.QueryTimeout = -1
		}, []string{"read_keys[0]", "admin_keys[1]", "cors.allowed_origins[1]", "cors.allowed_origins[2]", "allowed_hosts[0]", "query_timeout"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.cfg(&cfg)
			err := cfg.Validate()
			if len(c.wants) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestConfigLoadEnv(t *testing.T) {
	env := map[string]string{EnvReadKeys: " a , b,,", EnvAdminKeys: "c"}
	cfg := DefaultConfig()
	cfg.ReadKeys = []string{"z"}
	cfg.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if strings.Join(cfg.ReadKeys, "|") != "z|a|b" || strings.Join(cfg.AdminKeys, "|") != "c" {
		t.Errorf("keys %v %v", cfg.ReadKeys, cfg.AdminKeys)
	}
}

func TestAPIKeys(t *testing.T) {
	st := openSQLite(t)
	seed(t, st)
	cfg := DefaultConfig()
	cfg.Endpoint = "0.0.0.0:8080"
	cfg.ReadKeys, cfg.AdminKeys = []string{readKey}, []string{adminKey}
	s := newTestServer(t, st, cfg)
	for _, c := range []struct {
		method, path string
		headers      []string
		want         int
	}{
		{"GET", "/api/v1/traces", nil, 401},
		{"GET", "/api/v1/traces", []string{"Authorization: Bearer wrong-key-0123456789"}, 401},
		{"GET", "/api/v1/traces", []string{"Authorization: Basic " + readKey}, 401},
		{"GET", "/api/v1/traces", []string{"Authorization: Bearer " + readKey}, 200},
		{"GET", "/api/v1/traces", []string{"Authorization: bearer " + adminKey}, 200},
		{"GET", "/api/v1/traces", []string{"X-API-Key: " + readKey}, 200},
		{"GET", "/api/v1/traces", []string{"X-API-Key: " + readKey + "x"}, 401},
		{"GET", "/api/v1/traces?api_key=" + readKey, nil, 401}, // query keys only on the WebSocket
		{"GET", "/api/v1/traces?bogus=1", nil, 401},            // auth before validation
		{"GET", "/health", nil, 200},
		{"GET", "/api/v1/health", nil, 200},
		{"GET", "/api/v1/openapi.json", nil, 200},
		{"GET", "/", nil, 200},
		{"GET", "/api/v1/live", []string{"X-API-Key: " + readKey}, 426},
		{"GET", "/api/v1/live?api_key=" + readKey, nil, 426},
		{"GET", "/api/v1/live?api_key=nope", nil, 401},
		{"DELETE", "/api/v1/sessions/" + sessBeta, nil, 401},
		{"DELETE", "/api/v1/sessions/" + sessBeta, []string{"X-API-Key: " + readKey}, 403},
		{"DELETE", "/api/v1/sessions/" + sessBeta, []string{"X-API-Key: " + adminKey}, 200},
		{"GET", "/api/v1/sessions/" + sessBeta, []string{"X-API-Key: " + adminKey}, 404},
		// With keys, any Host is accepted (the deployment is remote).
		{"GET", "/api/v1/traces", []string{"X-API-Key: " + readKey, "Host: agenttrace.example.com"}, 200},
	} {
		code, h, body := s.do(c.method, c.path, c.headers...)
		if code != c.want {
			t.Errorf("%s %s %v: %d, want %d: %s", c.method, c.path, c.headers, code, c.want, body)
		}
		if code == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
		}
	}
}

func TestHostCheckWithoutKeys(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AllowedHosts = []string{"agenttrace.internal"}
	s := newTestServer(t, openSQLite(t), cfg)
	for host, want := range map[string]int{
		"localhost:8080":           200,
		"127.0.0.1":                200,
		"[::1]:8080":               200,
		"dash.localhost:8080":      200,
		"agenttrace.internal:8080": 200,
		"evil.example:8080":        403,
		"127.0.0.1.evil.example":   403,
	} {
		req, _ := http.NewRequest(http.MethodGet, s.ts.URL+"/api/v1/traces", nil)
		req.Host = host
		resp, err := s.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func TestCORS(t *testing.T) {
	st := openSQLite(t)
	// None by default: no CORS headers, so browsers keep the same-origin policy.
	s := newTestServer(t, st, DefaultConfig())
	_, h, _ := s.do("GET", "/api/v1/traces", "Origin: https://evil.example")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("default config sent CORS headers: %v", h)
	}
	code, _, _ := s.do("OPTIONS", "/api/v1/traces", "Origin: https://evil.example", "Access-Control-Request-Method: GET")
	if code == http.StatusNoContent {
		t.Error("default config answered a preflight")
	}

	cfg := DefaultConfig()
	cfg.AllowedOrigins = []string{"https://dash.example"}
	s = newTestServer(t, st, cfg)
	_, h, _ = s.do("GET", "/api/v1/traces", "Origin: https://dash.example")
	if h.Get("Access-Control-Allow-Origin") != "https://dash.example" || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("allowed origin headers: %v", h)
	}
	_, h, _ = s.do("GET", "/api/v1/traces", "Origin: https://other.example")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got %v", h)
	}
	code, h, _ = s.do("OPTIONS", "/api/v1/sessions/x", "Origin: https://dash.example", "Access-Control-Request-Method: DELETE")
	if code != http.StatusNoContent || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-API-Key") ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Errorf("preflight: %d %v", code, h)
	}
}
