package storage

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// Spans and session markers take their project from the resource; a
// resource without one is the default project.
func TestFromTracesProject(t *testing.T) {
	td := ptrace.NewTraces()
	for _, project := range []string{"team-a", ""} {
		rs := td.ResourceSpans().AppendEmpty()
		if project != "" {
			rs.Resource().Attributes().PutStr(canonical.AttrProject, project)
		}
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		sp := spans.AppendEmpty()
		sp.SetTraceID([16]byte{1})
		sp.SetSpanID([8]byte{1})
		sp.SetName("step")
		marker := spans.AppendEmpty()
		marker.SetTraceID([16]byte{2})
		marker.SetSpanID([8]byte{2})
		marker.Attributes().PutStr(canonical.AttrRecordKind, canonical.RecordKindSession)
		marker.Attributes().PutStr(canonical.AttrSessionEvent, "start")
		marker.Attributes().PutStr(canonical.AttrSessionID, "s1")
	}
	b := FromTraces(td)
	if len(b.Spans) != 2 || len(b.Sessions) != 2 {
		t.Fatalf("got %d spans, %d session events", len(b.Spans), len(b.Sessions))
	}
	want := []string{"team-a", canonical.DefaultProject}
	for i := range want {
		if b.Spans[i].Project != want[i] {
			t.Errorf("span %d: project %q, want %q", i, b.Spans[i].Project, want[i])
		}
		if b.Sessions[i].Project != want[i] {
			t.Errorf("session event %d: project %q, want %q", i, b.Sessions[i].Project, want[i])
		}
	}
}
