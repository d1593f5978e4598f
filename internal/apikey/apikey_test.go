package apikey

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	secretA = "ingest-key-project-a-0001"
	secretB = "ingest-key-project-b-0002"
	secretR = "read-key-all-projects-003"
)

func TestLookup(t *testing.T) {
	s, err := NewSet([]Key{
		{Secret: secretA, Project: "a", Role: RoleIngest},
		{Secret: secretB, Project: "b", Role: RoleIngest},
		{Secret: secretR, Project: AllProjects, Role: RoleRead},
	})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Len())

	id, ok := s.Lookup(secretA)
	require.True(t, ok)
	assert.Equal(t, "a", id.Project)
	assert.Equal(t, RoleIngest, id.Role)
	assert.True(t, id.CanAccess("a"))
	assert.False(t, id.CanAccess("b"))
	assert.Len(t, id.ID, 12)
	assert.NotContains(t, secretA, id.ID)

	id, ok = s.Lookup(secretR)
	require.True(t, ok)
	assert.True(t, id.AllProjectsAccess())
	assert.True(t, id.CanAccess("b"))

	for _, bad := range []string{"", secretA + "x", secretA[:len(secretA)-1], strings.ToUpper(secretA)} {
		_, ok := s.Lookup(bad)
		assert.False(t, ok, bad)
	}
	var empty *Set
	_, ok = empty.Lookup(secretA)
	assert.False(t, ok)
	assert.Equal(t, 0, empty.Len())
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := NewSet([]Key{
		{Secret: "short", Project: "Bad Name", Role: RoleIngest, RatePerSecond: -1, Burst: -2},
		{Secret: secretA, Project: AllProjects, Role: RoleIngest},
		{Secret: secretB, Project: "b", Role: "owner"},
		{Secret: secretR, Project: "a", Role: RoleRead},
		{Secret: secretR, Project: "b", Role: RoleRead},
	})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"keys[0].key: must be at least 16", "keys[0].project", "keys[0].rate_limit", "keys[0].burst",
		"keys[1].project: an ingest key needs one project", "keys[2].role", "keys[4].key: the same secret",
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, secretR, "a secret must never appear in an error")
	assert.NotContains(t, msg, "short")
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	rateNow = func() time.Time { return now }
	t.Cleanup(func() { rateNow = time.Now })

	s, err := NewSet([]Key{
		{Secret: secretA, Project: "a", Role: RoleIngest, RatePerSecond: 100, Burst: 150},
		{Secret: secretB, Project: "b", Role: RoleIngest},
	})
	require.NoError(t, err)
	a, _ := s.Lookup(secretA)
	b, _ := s.Lookup(secretB)

	assert.True(t, a.Allow(150))
	assert.False(t, a.Allow(1), "burst spent")
	assert.True(t, b.Allow(1_000_000), "an unlimited key is never limited")
	now = now.Add(500 * time.Millisecond)
	assert.True(t, a.Allow(50))
	assert.False(t, a.Allow(1))
	var none *Identity
	assert.True(t, none.Allow(1))
}
