package apiserver

import (
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/apikey"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// keyring is the server's API keys (internal/apikey: SHA-256 digests,
// compared in constant time) with each key's Retry-After for its rate limit.
type keyring struct {
	set        *apikey.Set
	retryAfter map[*apikey.Identity]string // seconds, for rate-limited keys
}

func newKeyring(keys []apikey.Key) (keyring, error) {
	set, err := apikey.NewSet(keys)
	if err != nil {
		return keyring{}, err
	}
	k := keyring{set: set, retryAfter: map[*apikey.Identity]string{}}
	for _, key := range keys {
		if key.RatePerSecond > 0 {
			id, _ := set.Lookup(key.Secret)
			// One request's worth of tokens comes back after 1/rate s.
			k.retryAfter[id] = strconv.Itoa(int(math.Ceil(1 / key.RatePerSecond)))
		}
	}
	return k, nil
}

func (k *keyring) enabled() bool { return k.set.Len() > 0 }

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

// keyIDKey is the gin context key of the request's key ID (loggable; the
// key itself never is).
const keyIDKey = "agenttrace.key_id"

// authorize enforces the keys and their rate limits and returns the
// request's identity; without configured keys (loopback-only deployments)
// every request is allowed, with a nil identity.
func (s *Server) authorize(c *gin.Context, needAdmin bool) (*apikey.Identity, bool) {
	if !s.auth.enabled() {
		return nil, true
	}
	key := presentedKey(c, c.FullPath() == livePath)
	if key == "" {
		c.Header("WWW-Authenticate", `Bearer realm="agenttrace"`)
		abortJSON(c, http.StatusUnauthorized, codeUnauthorized, "an API key is required (Authorization: Bearer <key> or X-API-Key)")
		return nil, false
	}
	id, ok := s.auth.set.Lookup(key)
	if !ok || (id.Role != apikey.RoleRead && id.Role != apikey.RoleAdmin) {
		c.Header("WWW-Authenticate", `Bearer realm="agenttrace", error="invalid_token"`)
		abortJSON(c, http.StatusUnauthorized, codeUnauthorized, "the API key is not valid")
		return nil, false
	}
	c.Set(keyIDKey, id.ID)
	if !id.Allow(1) {
		c.Header("Retry-After", s.auth.retryAfter[id])
		s.logger.Debug("API key over its rate limit", zap.String("key_id", id.ID), zap.String("path", c.FullPath()))
		abortJSON(c, http.StatusTooManyRequests, codeRateLimited, "this API key's rate limit is spent; retry after "+
			s.auth.retryAfter[id]+" s")
		return nil, false
	}
	if needAdmin && id.Role != apikey.RoleAdmin {
		abortJSON(c, http.StatusForbidden, codeForbidden, "this endpoint needs an admin key")
		return nil, false
	}
	return id, true
}

// scopeOf is the projects a request may see: its key's project (all of
// them without keys or for a "*" key), narrowed to the project parameter
// when given. A key bound to one project that names another is refused
// (403), whether or not that project exists.
func scopeOf(id *apikey.Identity, project string) (storage.Scope, bool) {
	if id != nil && !id.AllProjectsAccess() {
		if project != "" && project != id.Project {
			return storage.Scope{}, false
		}
		return storage.ProjectScope(id.Project), true
	}
	if project != "" {
		return storage.ProjectScope(project), true
	}
	return storage.AllProjects(), true
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
