package apiserver

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// serveDashboard serves the dashboard's files; unknown paths get
// index.html so the single-page app can route them. Without a built
// dashboard it serves a placeholder page that points to the API.
func (s *Server) serveDashboard(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if !hasDashboard(s.dashboard) {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(placeholderPage))
		return
	}
	r := c.Request
	clean := path.Clean("/" + r.URL.Path)
	if clean != r.URL.Path {
		// ServeFileFS refuses paths with "..", which Clean resolved.
		r = r.Clone(r.Context())
		r.URL.Path = clean
	}
	name := strings.TrimPrefix(clean, "/")
	if fi, err := fs.Stat(s.dashboard, name); name == "" || err != nil || fi.IsDir() {
		name = "index.html"
	}
	if name == "index.html" {
		// The entry point must be revalidated; hashed assets may be cached.
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(c.Writer, r, s.dashboard, name)
}

func hasDashboard(fsys fs.FS) bool {
	if fsys == nil {
		return false
	}
	fi, err := fs.Stat(fsys, "index.html")
	return err == nil && !fi.IsDir()
}

const placeholderPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>AgentTrace</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f2f2f2;padding:0 .25rem}</style>
</head>
<body>
<h1>AgentTrace</h1>
<p>The API is running, but this build has no dashboard.</p>
<ul>
<li>API description: <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a></li>
<li>Recent traces: <a href="/api/v1/traces"><code>/api/v1/traces</code></a></li>
<li>Health: <a href="/health"><code>/health</code></a></li>
</ul>
</body>
</html>
`
