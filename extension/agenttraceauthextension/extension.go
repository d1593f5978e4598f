package agenttraceauthextension

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/apikey"
)

// Errors returned to clients (HTTP 401 / gRPC Unauthenticated through the
// collector's auth interceptors). They never contain the key.
var (
	ErrMissingKey = errors.New("missing ingest key: send \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"")
	ErrInvalidKey = errors.New("invalid ingest key")
	ErrNotStarted = errors.New("ingest-key authenticator is not started")
)

// Auth attribute names in client.Info.Auth.
const (
	AttrProject = "project" // the key's project
	AttrKeyID   = "key_id"  // apikey.Identity.ID: a loggable digest prefix
)

// SecretAuthenticator authenticates a raw secret, for transports that carry
// the key in the payload instead of headers (the native receiver's UDP). The
// returned context carries the same client.Info auth data as Authenticate.
type SecretAuthenticator interface {
	AuthenticateSecret(ctx context.Context, secret string) (context.Context, error)
}

var (
	_ extension.Extension  = (*authenticator)(nil)
	_ extensionauth.Server = (*authenticator)(nil)
	_ SecretAuthenticator  = (*authenticator)(nil)
	_ client.AuthData      = (*authData)(nil)
)

type authenticator struct {
	cfg    *Config
	logger *zap.Logger
	keys   atomic.Pointer[apikey.Set]
}

func newAuthenticator(cfg *Config, logger *zap.Logger) *authenticator {
	return &authenticator{cfg: cfg, logger: logger}
}

// Start builds the key set. Having no key at all is an error: every
// request would be refused, which is never what the operator meant.
func (a *authenticator) Start(context.Context, component.Host) error {
	set, err := a.cfg.keys()
	if err != nil {
		return err
	}
	if set.Len() == 0 {
		return fmt.Errorf("agenttraceauth: no ingest keys: set keys or $%s", a.cfg.KeysEnv)
	}
	a.keys.Store(set)
	a.logger.Info("Ingest-key authenticator ready", zap.Int("keys", set.Len()))
	return nil
}

// Shutdown forgets the keys; it is idempotent.
func (a *authenticator) Shutdown(context.Context) error {
	a.keys.Store(nil)
	return nil
}

// Authenticate reads the key from Authorization: Bearer or X-API-Key
// (header and gRPC metadata names compared case-insensitively).
func (a *authenticator) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	return a.AuthenticateSecret(ctx, secretFrom(sources))
}

// AuthenticateSecret authenticates one raw secret.
func (a *authenticator) AuthenticateSecret(ctx context.Context, secret string) (context.Context, error) {
	set := a.keys.Load()
	if set == nil {
		return ctx, ErrNotStarted
	}
	if secret == "" {
		return ctx, ErrMissingKey
	}
	id, ok := set.Lookup(secret)
	if !ok || id.Role != apikey.RoleIngest {
		return ctx, ErrInvalidKey
	}
	info := client.FromContext(ctx)
	info.Auth = &authData{id: id}
	return client.NewContext(ctx, info), nil
}

// secretFrom returns the key of a request: the Bearer token of
// Authorization, else X-API-Key.
func secretFrom(sources map[string][]string) string {
	var bearer, apiKey string
	for name, vals := range sources {
		if len(vals) == 0 {
			continue
		}
		switch {
		case strings.EqualFold(name, "authorization"):
			v := strings.TrimSpace(vals[0])
			if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
				bearer = strings.TrimSpace(v[7:])
			}
		case strings.EqualFold(name, "x-api-key"):
			apiKey = strings.TrimSpace(vals[0])
		}
	}
	if bearer != "" {
		return bearer
	}
	return apiKey
}

// authData is what client.Info.Auth holds for an authenticated request.
// charged marks a request whose spans were already counted against the
// key's rate limit (by the native receiver), so the project processor
// further down the pipeline does not count them twice.
type authData struct {
	id      *apikey.Identity
	charged bool
}

// GetAttribute returns "project" or "key_id" (strings); nil otherwise.
func (d *authData) GetAttribute(name string) any {
	switch name {
	case AttrProject:
		return d.id.Project
	case AttrKeyID:
		return d.id.ID
	}
	return nil
}

// GetAttributeNames lists the attributes GetAttribute answers.
func (d *authData) GetAttributeNames() []string { return []string{AttrProject, AttrKeyID} }

// IdentityFromContext returns the ingest key that authenticated the request
// of ctx, or nil when the request was not authenticated by this extension.
// Receivers and the project processor use it to stamp the project and spend
// the key's rate limit.
func IdentityFromContext(ctx context.Context) *apikey.Identity {
	if d, ok := client.FromContext(ctx).Auth.(*authData); ok {
		return d.id
	}
	return nil
}

// Charge spends n spans of the rate limit of the key that authenticated
// ctx's request, at most once per request: the returned context is marked
// so a later Charge (the project processor after the native receiver) only
// returns the identity. It returns the identity (nil for an unauthenticated
// request, which is never limited) and RateLimited when the key's limit
// refuses the spans.
func Charge(ctx context.Context, n int) (context.Context, *apikey.Identity, error) {
	info := client.FromContext(ctx)
	d, ok := info.Auth.(*authData)
	if !ok {
		return ctx, nil, nil
	}
	if d.charged {
		return ctx, d.id, nil
	}
	if !d.id.Allow(n) {
		return ctx, d.id, RateLimited(d.id, n)
	}
	info.Auth = &authData{id: d.id, charged: true}
	return client.NewContext(ctx, info), d.id, nil
}
