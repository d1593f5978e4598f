package apiserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// authenticator checks API keys. Keys are kept as SHA-256 digests and every
// key is compared in constant time, so neither a key's content nor its
// length leaks through timing.
type authenticator struct {
	read, admin [][sha256.Size]byte
}

func newAuthenticator(readKeys, adminKeys []string) authenticator {
	var a authenticator
	for _, k := range readKeys {
		a.read = append(a.read, sha256.Sum256([]byte(k)))
	}
	for _, k := range adminKeys {
		a.admin = append(a.admin, sha256.Sum256([]byte(k)))
	}
	return a
}

func (a *authenticator) enabled() bool { return len(a.read)+len(a.admin) > 0 }

// level returns the access a presented key grants.
func (a *authenticator) level(key string) (read, admin bool) {
	d := sha256.Sum256([]byte(key))
	var r, ad int
	for i := range a.read {
		r |= subtle.ConstantTimeCompare(d[:], a.read[i][:])
	}
	for i := range a.admin {
		ad |= subtle.ConstantTimeCompare(d[:], a.admin[i][:])
	}
	return r|ad == 1, ad == 1
}

// presentedKey reads "Authorization: Bearer <key>" or "X-API-Key: <key>";
// for the WebSocket route, whose browser clients cannot set headers, also
// the api_key query parameter.
func presentedKey(c *gin.Context, allowQuery bool) string {
	if h := c.GetHeader("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	if k := c.GetHeader("X-API-Key"); k != "" {
		return k
	}
	if allowQuery {
		return c.Query("api_key")
	}
	return ""
}

// authorize enforces the keys; without configured keys (loopback-only
// deployments) every request is allowed.
func (s *Server) authorize(c *gin.Context, needAdmin bool) bool {
	if !s.auth.enabled() {
		return true
	}
	key := presentedKey(c, c.FullPath() == livePath)
	if key == "" {
		c.Header("WWW-Authenticate", `Bearer realm="agenttrace"`)
		abortJSON(c, http.StatusUnauthorized, codeUnauthorized, "an API key is required (Authorization: Bearer <key> or X-API-Key)")
		return false
	}
	read, admin := s.auth.level(key)
	switch {
	case !read:
		c.Header("WWW-Authenticate", `Bearer realm="agenttrace", error="invalid_token"`)
		abortJSON(c, http.StatusUnauthorized, codeUnauthorized, "the API key is not valid")
		return false
	case needAdmin && !admin:
		abortJSON(c, http.StatusForbidden, codeForbidden, "this endpoint needs an admin key")
		return false
	}
	return true
}

// checkHost rejects, while no keys are configured, requests whose Host is
// not a loopback name or an allowed host: a DNS-rebinding web page reaches
// a local server under its own host name.
func (s *Server) checkHost(c *gin.Context) {
	if s.auth.enabled() {
		return
	}
	host := c.Request.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if IsLoopbackHost(host) || strings.HasSuffix(host, ".localhost") || slices.Contains(s.cfg.AllowedHosts, host) {
		return
	}
	abortJSON(c, http.StatusForbidden, codeForbidden, "host "+printable(host)+" is not allowed; add it to allowed_hosts or configure API keys")
}

// originPolicy is the CORS configuration.
type originPolicy struct {
	any     bool
	origins []string // exact origins, lowercased
	hosts   []string // their host[:port], for the WebSocket origin check
}

func newOriginPolicy(allowed []string) originPolicy {
	var p originPolicy
	for _, o := range allowed {
		if o == "*" {
			p.any = true
			continue
		}
		o = strings.ToLower(strings.TrimSuffix(o, "/"))
		p.origins = append(p.origins, o)
		if u, err := url.Parse(o); err == nil {
			p.hosts = append(p.hosts, u.Host)
		}
	}
	return p
}

func (p *originPolicy) allows(origin string) bool {
	return p.any || slices.Contains(p.origins, strings.ToLower(origin))
}

// cors answers preflight requests and adds CORS headers for allowed
// origins. Without configured origins it does nothing, so browsers keep
// their same-origin policy.
func (s *Server) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || !s.origins.allows(origin) {
		return
	}
	h := c.Writer.Header()
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Content-Disposition")
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, X-API-Key, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
}
