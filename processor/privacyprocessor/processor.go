package privacyprocessor

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

const scopeName = "github.com/agenttrace/agenttrace/processor/privacyprocessor"

// maxValueDepth bounds recursion into nested map and slice values; a value
// nested deeper is replaced whole rather than stored unexamined.
const maxValueDepth = 64

// tooDeep replaces a value nested beyond maxValueDepth.
const tooDeep = "[REDACTED:nested]"

type privacyProcessor struct {
	cfg    *Config
	logger *zap.Logger
	r      *redactor
	drop   bool

	redactions metric.Int64Counter
	dropped    metric.Int64Counter
	byDetector []metric.AddOption // indexed like redactor.names

	pool sync.Pool // *scratch
}

func newProcessor(set processor.Settings, cfg *Config) (*privacyProcessor, error) {
	r, err := newRedactor(cfg.Detectors, cfg.CustomPatterns)
	if err != nil {
		return nil, err
	}
	p := &privacyProcessor{cfg: cfg, logger: set.Logger, r: r, drop: cfg.Mode == ModeDrop}
	m := set.MeterProvider.Meter(scopeName)
	p.redactions, err = m.Int64Counter("otelcol_processor_privacy_redactions",
		metric.WithDescription("Values masked, by detector (matched text is never recorded)."),
		metric.WithUnit("{redactions}"))
	if err != nil {
		return nil, err
	}
	p.dropped, err = m.Int64Counter("otelcol_processor_privacy_dropped_attributes",
		metric.WithDescription("Content attributes removed in drop mode."),
		metric.WithUnit("{attributes}"))
	if err != nil {
		return nil, err
	}
	for _, n := range r.names {
		p.byDetector = append(p.byDetector, metric.WithAttributeSet(attribute.NewSet(attribute.String("detector", n))))
	}
	n := len(r.names)
	p.pool.New = func() any { return &scratch{counts: make([]int64, n)} }
	return p, nil
}

func (p *privacyProcessor) start(context.Context, component.Host) error {
	names := make([]string, 0, len(p.cfg.CustomPatterns))
	for _, c := range p.cfg.CustomPatterns {
		names = append(names, c.Name)
	}
	p.logger.Info("privacy processor started",
		zap.String("mode", p.cfg.Mode),
		zap.Bool("email", p.cfg.Detectors.Email), zap.Bool("api_key", p.cfg.Detectors.APIKey),
		zap.Bool("card", p.cfg.Detectors.Card), zap.Strings("custom_patterns", names),
		zap.Bool("scan_all_attributes", p.cfg.ScanAllAttributes))
	return nil
}

func (p *privacyProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	sc := p.pool.Get().(*scratch)
	var dropped int64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				dropped += p.processSpan(spans.At(k), sc)
			}
		}
	}
	for d, n := range sc.counts {
		if n > 0 {
			p.redactions.Add(ctx, n, p.byDetector[d])
			sc.counts[d] = 0
		}
	}
	if dropped > 0 {
		p.dropped.Add(ctx, dropped)
	}
	if cap(sc.buf) > 1<<20 { // do not pin one huge value's buffers
		sc.buf = nil
	}
	if cap(sc.matches) > 1<<14 {
		sc.matches = nil
	}
	p.pool.Put(sc)
	return td, nil
}

// processSpan masks or drops one span's content and returns how many
// attributes it removed.
func (p *privacyProcessor) processSpan(sp ptrace.Span, sc *scratch) int64 {
	var dropped int64
	attrs := sp.Attributes()
	if p.drop {
		dropped += removeContent(attrs, "", false)
	}
	if !p.drop || p.cfg.ScanAllAttributes {
		attrs.Range(func(k string, v pcommon.Value) bool {
			if p.cfg.ScanAllAttributes || canonical.IsContentKey(k) {
				p.maskValue(v, sc, 0)
			}
			return true
		})
	}
	events := sp.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		name := ev.Name()
		ea := ev.Attributes()
		if p.drop {
			dropped += removeContent(ea, name, true)
		}
		if !p.drop || p.cfg.ScanAllAttributes {
			ea.Range(func(k string, v pcommon.Value) bool {
				if p.cfg.ScanAllAttributes || canonical.IsContentEventAttr(name, k) {
					p.maskValue(v, sc, 0)
				}
				return true
			})
		}
	}
	if dropped > 0 {
		attrs.PutBool(canonical.AttrContentDropped, true)
	}
	return dropped
}

func removeContent(attrs pcommon.Map, event string, isEvent bool) int64 {
	var n int64
	attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
		var content bool
		if isEvent {
			content = canonical.IsContentEventAttr(event, k)
		} else {
			content = canonical.IsContentKey(k)
		}
		if content {
			n++
		}
		return content
	})
	return n
}

// maskValue masks a string value in place, and the strings inside slices
// and maps (OpenLLMetry's llm.prompts lists, event bodies).
func (p *privacyProcessor) maskValue(v pcommon.Value, sc *scratch, depth int) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if out, changed := p.r.redact(v.Str(), sc); changed {
			v.SetStr(out)
		}
	case pcommon.ValueTypeSlice:
		if depth >= maxValueDepth {
			v.SetStr(tooDeep)
			return
		}
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			p.maskValue(s.At(i), sc, depth+1)
		}
	case pcommon.ValueTypeMap:
		if depth >= maxValueDepth {
			v.SetStr(tooDeep)
			return
		}
		v.Map().Range(func(_ string, e pcommon.Value) bool {
			p.maskValue(e, sc, depth+1)
			return true
		})
	}
}
