package projectprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/internal/canonical"
)

var _ processor.Traces = (*projectProcessor)(nil)

type projectProcessor struct {
	component.StartFunc
	component.ShutdownFunc

	logger *zap.Logger
	next   consumer.Traces
}

// Capabilities: it overwrites a resource attribute.
func (*projectProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// ConsumeTraces stamps and rate-limits an authenticated request; anything
// else passes on as is after one context lookup. A refused request returns
// the rate-limit status and forwards nothing.
func (p *projectProcessor) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if agenttraceauthextension.IdentityFromContext(ctx) == nil {
		return p.next.ConsumeTraces(ctx, td)
	}
	n := td.SpanCount()
	_, id, err := agenttraceauthextension.Charge(ctx, n)
	if err != nil {
		p.logger.Debug("request refused by the ingest key's rate limit",
			zap.String("key_id", id.ID), zap.Int("spans", n))
		return err
	}
	stampProject(td, id.Project)
	return p.next.ConsumeTraces(ctx, td)
}

// stampProject sets agenttrace.project on every resource of td, overwriting
// what the client sent.
func stampProject(td ptrace.Traces, project string) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rss.At(i).Resource().Attributes().PutStr(canonical.AttrProject, project)
	}
}
