package postgres

// Throughput of the write path next to a raw pgx CopyFrom of the same rows
// into the same table, measured in the same run:
//
//	go test ./internal/storage/postgres -run '^$' -bench WriteVsRawCopy -benchtime 40x -count 3
//
// Every iteration writes batchSpans new spans (new trace ids) to each
// table.

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
)

const (
	batchSpans    = 5000
	spansPerTrace = 10
)

var benchStart = time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC)

// benchTraces is one batch of agent traces: a root agent span, LLM calls
// with prompts, tokens and cost, and tool calls, in 20 sessions.
func benchTraces(iter int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench-agent")
	rs.Resource().Attributes().PutStr("host.name", "bench-host")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agenttrace-sdk")
	prompt := strings.Repeat("Plan the next step of the task. ", 8)
	for i := 0; i < batchSpans; i++ {
		tr, k := i/spansPerTrace, i%spansPerTrace
		sp := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[:8], uint64(iter)+1)
		binary.BigEndian.PutUint64(tid[8:], uint64(tr)+1)
		sp.SetTraceID(tid)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(i)+1)
		sp.SetSpanID(sid)
		start := benchStart.Add(time.Duration(iter)*time.Minute + time.Duration(i)*time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(800 * time.Millisecond)))
		a := sp.Attributes()
		a.PutStr(canonical.AttrSessionID, fmt.Sprintf("bench-session-%d", tr%20))
		a.PutStr(canonical.GenAIAgentName, "planner")
		a.PutInt(canonical.AttrChainStep, int64(k))
		switch {
		case k == 0:
			sp.SetName("invoke_agent planner")
			a.PutStr(canonical.AttrSpanType, string(canonical.TypeAgent))
			continue
		case k%3 == 0:
			sp.SetName("execute_tool search")
			a.PutStr(canonical.AttrSpanType, string(canonical.TypeToolExecution))
			a.PutStr(canonical.GenAIToolName, "search")
			a.PutStr(canonical.GenAIToolCallArguments, `{"query":"weather in Paris"}`)
			a.PutStr(canonical.GenAIToolCallResult, `{"result":"sunny, 21C"}`)
		default:
			sp.SetName("chat gpt-4o")
			a.PutStr(canonical.AttrSpanType, string(canonical.TypeLLMCall))
			a.PutStr(canonical.GenAIProviderName, "openai")
			a.PutStr(canonical.GenAIRequestModel, "gpt-4o")
			a.PutDouble(canonical.GenAIRequestTemperature, 0.2)
			a.PutStr(canonical.AttrPrompt, prompt)
			a.PutStr(canonical.AttrResponse, "Search the weather, then answer.")
			canonical.PutTokens(a, canonical.Tokens{Input: 1200, CacheRead: 300, Output: 150})
			canonical.PutCost(a, canonical.Cost{Total: 0.0045, Input: 0.003, CacheRead: 0.0004, Output: 0.0011,
				Status: canonical.CostStatusPriced, PricingEntry: "openai/gpt-4o", PricingDate: "2024-08-06"})
		}
		sp.SetParentSpanID(func() pcommon.SpanID {
			var p pcommon.SpanID
			binary.BigEndian.PutUint64(p[:], uint64(tr*spansPerTrace)+1)
			return p
		}())
	}
	return td
}

func benchStore(b *testing.B) *Store {
	dsn, schema := postgrestest.Schema(b)
	s, err := Open(context.Background(), Config{DSN: dsn, Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkWriteVsRawCopy interleaves, batch by batch, three ways of
// putting the same rows into three identical, equally growing tables, so
// machine noise hits all of them alike:
//
//   - raw: pgx CopyFrom of the rows into spans — nothing else (the peer);
//   - write: Store.Write of the converted batch — per-trace locks, COPY,
//     trace/session/rollup upserts, one transaction;
//   - exporter: pdata → storage.FromTraces → Store.Write, the timescaledb
//     exporter's hot path.
func BenchmarkWriteVsRawCopy(b *testing.B) {
	raw, write, exp := benchStore(b), benchStore(b), benchStore(b)
	ctx := context.Background()
	var tRaw, tWrite, tExp time.Duration
	var wr, er []float64
	for i := 0; i < b.N; i++ {
		td := benchTraces(i)
		batch := storage.FromTraces(td)
		t0 := time.Now()
		// The same row values as the store sends (newSpanRows), straight
		// into pgx's CopyFrom.
		if _, err := raw.pool.CopyFrom(ctx, pgx.Identifier{"spans"}, spanColumns, newSpanRows(batch.Spans)); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := write.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := exp.Write(ctx, storage.FromTraces(td)); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		tRaw, tWrite, tExp = tRaw+t1.Sub(t0), tWrite+t2.Sub(t1), tExp+t3.Sub(t2)
		wr = append(wr, t1.Sub(t0).Seconds()/t2.Sub(t1).Seconds())
		er = append(er, t1.Sub(t0).Seconds()/t3.Sub(t2).Seconds())
	}
	// Medians of the per-batch ratios resist the bursts of a shared machine.
	b.ReportMetric(median(wr), "write/raw_median")
	b.ReportMetric(median(er), "exporter/raw_median")
	n := float64(b.N * batchSpans)
	b.ReportMetric(n/tRaw.Seconds(), "raw_spans/s")
	b.ReportMetric(n/tWrite.Seconds(), "write_spans/s")
	b.ReportMetric(n/tExp.Seconds(), "exporter_spans/s")
	b.ReportMetric(tRaw.Seconds()/tWrite.Seconds(), "write/raw")
	b.ReportMetric(tRaw.Seconds()/tExp.Seconds(), "exporter/raw")
}

// BenchmarkWrite is Store.Write alone (for profiling the write path).
func BenchmarkWrite(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		batch := storage.FromTraces(benchTraces(i))
		b.StartTimer()
		if err := s.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSpans)/b.Elapsed().Seconds(), "spans/s")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
