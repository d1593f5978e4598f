package apiserver

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestDashboard(t *testing.T) {
	st := openSQLite(t)
	fsys := fstest.MapFS{
		"index.html":    {Data: []byte("<html>dashboard</html>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	s := newTestServer(t, st, DefaultConfig(), WithDashboard(fsys))
	for _, c := range []struct {
		path, want, contentType string
		code                    int
	}{
		{"/", "dashboard", "text/html", 200},
		{"/assets/app.js", "console.log", "javascript", 200},
		{"/traces/0123", "dashboard", "text/html", 200}, // client-side route
		{"/assets/", "dashboard", "text/html", 200},
		{"/../../etc/passwd", "dashboard", "text/html", 200},
		{"/api/v1/nope", `"not_found"`, "application/json", 404},
		{"/api", `"not_found"`, "application/json", 404},
	} {
		code, h, body := s.do("GET", c.path)
		if code != c.code || !strings.Contains(string(body), c.want) || !strings.Contains(h.Get("Content-Type"), c.contentType) {
			t.Errorf("GET %s: %d %q %s", c.path, code, h.Get("Content-Type"), body)
		}
	}
	if code, _, _ := s.do("POST", "/somewhere"); code != 404 {
		t.Errorf("POST to a dashboard path: %d", code)
	}

	// No dashboard in the build: a placeholder that points to the API.
	for _, opts := range [][]Option{nil, {WithDashboard(fstest.MapFS{})}} {
		s = newTestServer(t, st, DefaultConfig(), opts...)
		code, h, body := s.do("GET", "/sessions")
		if code != 200 || !strings.Contains(string(body), "/api/v1/openapi.json") || h.Get("Content-Security-Policy") == "" {
			t.Errorf("placeholder: %d %v %s", code, h, body)
		}
	}
}
