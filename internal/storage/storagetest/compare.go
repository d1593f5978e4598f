package storagetest

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

const eps = 1e-9

func near(a, b float64) bool {
	return math.Abs(a-b) <= eps*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func assertNear(t *testing.T, want, got float64, what string) {
	t.Helper()
	assert.Truef(t, near(want, got), "%s: want %v, got %v", what, want, got)
}

// assertSpanEqual compares every field of two spans. JSON columns compare
// semantically, nil and empty slices are equal, Seq is only required to be
// assigned (> 0).
func assertSpanEqual(t *testing.T, want, got storage.Span) {
	t.Helper()
	assert.Positivef(t, got.Seq, "span %s: Seq not assigned", want.SpanID)
	assertJSONEqual(t, want.Attributes, got.Attributes, "Attributes")
	assertJSONEqual(t, want.Resource, got.Resource, "Resource")
	assertJSONEqual(t, want.Events, got.Events, "Events")
	w, g := want, got
	w.Seq, g.Seq = 0, 0
	w.Attributes, g.Attributes = "", ""
	w.Resource, g.Resource = "", ""
	w.Events, g.Events = "", ""
	w.Tags, g.Tags = normStrings(w.Tags), normStrings(g.Tags)
	w.Flags, g.Flags = normStrings(w.Flags), normStrings(g.Flags)
	w.Project = storage.NormProject(w.Project) // a fixture without one is in the default project
	assert.Equalf(t, w, g, "span %s/%s", want.TraceID, want.SpanID)
}

func normStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func assertJSONEqual(t *testing.T, want, got, what string) {
	t.Helper()
	var w, g any
	require.NoErrorf(t, json.Unmarshal([]byte(want), &w), "%s: fixture is not JSON", what)
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: stored value %q is not JSON: %v", what, got, err)
		return
	}
	assert.Truef(t, reflect.DeepEqual(w, g), "%s: want %s, got %s", what, want, got)
}

// assertTokens compares the six token buckets (not the Present/Estimated
// markers, which have no defined meaning in aggregates).
func assertTokens(t *testing.T, want, got canonical.Tokens, what string) {
	t.Helper()
	w := [6]int64{want.Input, want.CacheRead, want.CacheWrite5m, want.CacheWrite1h, want.Output, want.Reasoning}
	g := [6]int64{got.Input, got.CacheRead, got.CacheWrite5m, got.CacheWrite1h, got.Output, got.Reasoning}
	assert.Equalf(t, w, g, "%s tokens (input, cache_read, cache_write_5m, cache_write_1h, output, reasoning)", what)
}

func sortedFlags(f []string) []string {
	out := slices.Clone(f)
	slices.Sort(out)
	return normStrings(out)
}

// assertTrace compares a trace summary with the expected one: every field,
// floats with a tolerance, flags as a set.
func assertTrace(t *testing.T, want, got storage.TraceSummary) {
	t.Helper()
	what := "trace " + want.TraceID
	assertTokens(t, want.Tokens, got.Tokens, what)
	assertNear(t, want.CostUSD, got.CostUSD, what+" CostUSD")
	assert.Equalf(t, sortedFlags(want.Flags), sortedFlags(got.Flags), "%s Flags", what)
	w, g := want, got
	w.Tokens, g.Tokens = canonical.Tokens{}, canonical.Tokens{}
	w.CostUSD, g.CostUSD = 0, 0
	w.Flags, g.Flags = nil, nil
	w.Project = storage.NormProject(w.Project)
	assert.Equalf(t, w, g, what)
}

// assertSession compares a session with the expected one like assertTrace.
func assertSession(t *testing.T, want, got storage.Session) {
	t.Helper()
	what := "session " + want.ID
	assertTokens(t, want.Tokens, got.Tokens, what)
	assertNear(t, want.CostUSD, got.CostUSD, what+" CostUSD")
	assert.Equalf(t, sortedFlags(want.Flags), sortedFlags(got.Flags), "%s Flags", what)
	assert.Equalf(t, normStrings(want.Tags), normStrings(got.Tags), "%s Tags", what)
	if len(want.Metadata) == 0 {
		assert.Emptyf(t, got.Metadata, "%s Metadata", what)
	} else {
		assert.Equalf(t, want.Metadata, got.Metadata, "%s Metadata", what)
	}
	w, g := want, got
	w.Tokens, g.Tokens = canonical.Tokens{}, canonical.Tokens{}
	w.CostUSD, g.CostUSD = 0, 0
	w.Flags, g.Flags = nil, nil
	w.Tags, g.Tags = nil, nil
	w.Metadata, g.Metadata = nil, nil
	w.Project = storage.NormProject(w.Project)
	assert.Equalf(t, w, g, what)
}

func traceIDs(p []storage.TraceSummary) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.TraceID
	}
	return out
}

func spanKeys(p []storage.Span) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.SpanID
	}
	return out
}

func sessionIDs(p []storage.Session) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.ID
	}
	return out
}

func traces(ids ...int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = traceID(id)
	}
	return out
}

func spans(ids ...int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = spanID(id)
	}
	return out
}
