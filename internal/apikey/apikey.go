// Package apikey is the one place that knows AgentTrace's keys: ingest keys
// (receivers), read keys and admin keys (API). A key belongs to one project
// (or, for read/admin keys, to every project with "*"), may carry a rate
// limit, and is held only as a SHA-256 digest. Lookups compare digests in
// constant time, and nothing here ever returns or logs the secret: an
// Identity names its key by a short digest prefix.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// Role is what a key may do.
type Role string

// Roles, from least to most access.
const (
	RoleIngest Role = "ingest" // send spans to the receivers
	RoleRead   Role = "read"   // call the API's read endpoints
	RoleAdmin  Role = "admin"  // every API endpoint, including deletes
)

// AllProjects as a key's project gives a read or admin key every project.
const AllProjects = "*"

// MinSecretLen is the shortest secret accepted (16 bytes ≈ 128 bits when
// random); shorter secrets are guessable.
const MinSecretLen = 16

// Key is one configured key.
type Key struct {
	// Secret is the key as clients present it.
	Secret string
	// Project the key belongs to; AllProjects for read/admin keys that see
	// every project. Ingest keys must name one project.
	Project string
	// Role is what the key may do.
	Role Role
	// RatePerSecond limits the key (spans/s for ingest keys, requests/s for
	// API keys); 0 means unlimited.
	RatePerSecond float64
	// Burst is the most a key may spend at once; 0 means max(1, rate).
	Burst int
}

// Validate reports every problem of k at once; where prefixes each message
// with the key's config path (e.g. "keys[2]"), never with the secret.
func (k Key) Validate(where string) error {
	var errs []error
	if len(k.Secret) < MinSecretLen {
		errs = append(errs, fmt.Errorf("%s.key: must be at least %d characters", where, MinSecretLen))
	}
	switch k.Role {
	case RoleIngest:
		if !canonical.ValidProject(k.Project) {
			errs = append(errs, fmt.Errorf("%s.project: an ingest key needs one project name ([a-z0-9._-], 1–%d bytes), got %q", where, canonical.MaxProjectLen, k.Project))
		}
	case RoleRead, RoleAdmin:
		if k.Project != AllProjects && !canonical.ValidProject(k.Project) {
			errs = append(errs, fmt.Errorf("%s.project: must be a project name ([a-z0-9._-], 1–%d bytes) or %q, got %q", where, canonical.MaxProjectLen, AllProjects, k.Project))
		}
	default:
		errs = append(errs, fmt.Errorf("%s.role: must be one of ingest, read, admin, got %q", where, k.Role))
	}
	if k.RatePerSecond < 0 || math.IsNaN(k.RatePerSecond) || math.IsInf(k.RatePerSecond, 0) {
		errs = append(errs, fmt.Errorf("%s.rate_limit: must be a finite number >= 0, got %v", where, k.RatePerSecond))
	}
	if k.Burst < 0 {
		errs = append(errs, fmt.Errorf("%s.burst: must be >= 0, got %d", where, k.Burst))
	}
	return errors.Join(errs...)
}

// Identity is an authenticated key: safe to log and to keep in a request's
// context.
type Identity struct {
	// ID is the first 12 hex digits of the key's SHA-256 digest: stable,
	// loggable, and useless for authenticating.
	ID string
	// Project is the key's project, or AllProjects.
	Project string
	// Role is the key's role.
	Role Role

	limiter *rate.Limiter
}

// AllProjectsAccess reports whether the identity sees every project.
func (id *Identity) AllProjectsAccess() bool { return id.Project == AllProjects }

// CanAccess reports whether the identity may read or change project's data.
func (id *Identity) CanAccess(project string) bool {
	return id.Project == AllProjects || id.Project == project
}

// Allow spends n units (spans or requests) of the key's rate limit and
// reports whether they were available. Keys without a limit always allow.
func (id *Identity) Allow(n int) bool {
	if id == nil || id.limiter == nil {
		return true
	}
	return id.limiter.AllowN(rateNow(), n)
}

// Limit returns the key's rate (per second) and burst; 0, 0 when unlimited.
func (id *Identity) Limit() (perSecond float64, burst int) {
	if id == nil || id.limiter == nil {
		return 0, 0
	}
	return float64(id.limiter.Limit()), id.limiter.Burst()
}

// rateNow is the limiter clock (replaced in tests).
var rateNow = time.Now

// Set is a validated set of keys.
type Set struct {
	digests [][sha256.Size]byte
	ids     []*Identity
}

// NewSet validates keys (every problem at once) and returns the set. Two
// keys with the same secret are an error: the secret would pick one of them
// arbitrarily.
func NewSet(keys []Key) (*Set, error) {
	s := &Set{}
	var errs []error
	for i, k := range keys {
		where := fmt.Sprintf("keys[%d]", i)
		if err := k.Validate(where); err != nil {
			errs = append(errs, err)
			continue
		}
		d := sha256.Sum256([]byte(k.Secret))
		if slices.Contains(s.digests, d) {
			errs = append(errs, fmt.Errorf("%s.key: the same secret is configured twice", where))
			continue
		}
		id := &Identity{ID: hex.EncodeToString(d[:6]), Project: k.Project, Role: k.Role}
		if k.RatePerSecond > 0 {
			burst := k.Burst
			if burst == 0 {
				burst = max(1, int(math.Ceil(k.RatePerSecond)))
			}
			id.limiter = rate.NewLimiter(rate.Limit(k.RatePerSecond), burst)
		}
		s.digests = append(s.digests, d)
		s.ids = append(s.ids, id)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Len is the number of keys.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ids)
}

// Lookup returns the identity of secret. Every configured digest is
// compared, in constant time, whatever matches, so timing reveals neither
// which key matched nor how much of it.
func (s *Set) Lookup(secret string) (*Identity, bool) {
	if s == nil || secret == "" {
		return nil, false
	}
	d := sha256.Sum256([]byte(secret))
	match := -1
	for i := range s.digests {
		if subtle.ConstantTimeCompare(d[:], s.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return nil, false
	}
	return s.ids[match], true
}
