package projectprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/internal/canonical"
)

const (
	keyA       = "ingest-key-project-a-0001"
	keyLimited = "ingest-key-limited-c-0003"
)

func newProcessor(tb testing.TB) (processor.Traces, *consumertest.TracesSink) {
	tb.Helper()
	sink := new(consumertest.TracesSink)
	return startProcessor(tb, sink), sink
}

func startProcessor(tb testing.TB, next consumer.Traces) processor.Traces {
	tb.Helper()
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(Type), createDefaultConfig(), next)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return p
}

// authenticated returns a request context authenticated with secret.
func authenticated(tb testing.TB, secret string) context.Context {
	tb.Helper()
	cfg := agenttraceauthextension.NewFactory().CreateDefaultConfig().(*agenttraceauthextension.Config)
	cfg.KeysEnv = ""
	cfg.Keys = []agenttraceauthextension.KeyConfig{
		{Key: keyA, Project: "a"}, {Key: keyLimited, Project: "c", RateLimit: 5, Burst: 5},
	}
	ext, err := agenttraceauthextension.NewFactory().Create(context.Background(), extensiontest.NewNopSettings(agenttraceauthextension.Type), cfg)
	require.NoError(tb, err)
	require.NoError(tb, ext.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, ext.Shutdown(context.Background())) })
	ctx, err := ext.(extensionauth.Server).Authenticate(context.Background(), map[string][]string{"authorization": {"Bearer " + secret}})
	require.NoError(tb, err)
	return ctx
}

// traces builds resources claiming project claimed, each with spans spans.
func traces(resources, spans int, claimed string) ptrace.Traces {
	td := ptrace.NewTraces()
	for range resources {
		rs := td.ResourceSpans().AppendEmpty()
		if claimed != "" {
			rs.Resource().Attributes().PutStr(canonical.AttrProject, claimed)
		}
		ss := rs.ScopeSpans().AppendEmpty()
		for range spans {
			ss.Spans().AppendEmpty().SetName("s")
		}
	}
	return td
}

func projectsOf(td ptrace.Traces) []string {
	var out []string
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		v, ok := td.ResourceSpans().At(i).Resource().Attributes().Get(canonical.AttrProject)
		if ok {
			out = append(out, v.Str())
		} else {
			out = append(out, "<none>")
		}
	}
	return out
}

func TestStampsKeyProjectOverClientClaim(t *testing.T) {
	p, sink := newProcessor(t)
	require.NoError(t, p.ConsumeTraces(authenticated(t, keyA), traces(2, 3, "b")))
	require.Len(t, sink.AllTraces(), 1)
	assert.Equal(t, []string{"a", "a"}, projectsOf(sink.AllTraces()[0]))
}

func TestUnauthenticatedPassesUntouched(t *testing.T) {
	p, sink := newProcessor(t)
	require.NoError(t, p.ConsumeTraces(context.Background(), traces(2, 1, "b")))
	require.NoError(t, p.ConsumeTraces(context.Background(), traces(1, 1, "")))
	assert.Equal(t, []string{"b", "b"}, projectsOf(sink.AllTraces()[0]))
	assert.Equal(t, []string{"<none>"}, projectsOf(sink.AllTraces()[1]))
}

func TestRateLimit(t *testing.T) {
	p, sink := newProcessor(t)
	ctx := authenticated(t, keyLimited)
	require.NoError(t, p.ConsumeTraces(ctx, traces(1, 4, "")))
	err := p.ConsumeTraces(ctx, traces(1, 4, ""))
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "the OTLP receiver reads the gRPC status through the error chain")
	assert.Equal(t, codes.ResourceExhausted, st.Code())
	assert.Contains(t, st.Message(), "over its rate limit of 5 spans/s (burst 5); 4 spans refused")
	assert.Equal(t, 4, sink.SpanCount(), "a refused request is not partly forwarded")
}

// BenchmarkUnauthenticated is the cost on every request of a deployment
// without keys (local mode).
func BenchmarkUnauthenticated(b *testing.B) {
	p := startProcessor(b, consumertest.NewNop())
	td := traces(1, 100, "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = p.ConsumeTraces(context.Background(), td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/span")
}

// BenchmarkAuthenticated stamps and charges an unlimited key.
func BenchmarkAuthenticated(b *testing.B) {
	p := startProcessor(b, consumertest.NewNop())
	ctx := authenticated(b, keyA)
	td := traces(1, 100, "b")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = p.ConsumeTraces(ctx, td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/span")
}
