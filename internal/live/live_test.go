package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/live"
	"github.com/agenttrace/agenttrace/internal/live/livetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mkSpan(id, model, agent, session string, st canonical.Status, tokens int64, cost float64) live.Span {
	c := canonical.Span{TraceID: "t1", SpanID: id, Name: "n-" + id, Type: canonical.TypeLLMCall, Status: st,
		StartUnixNano: 1_000, Model: model, AgentName: agent, SessionID: session, ChainStep: -1}
	if st != canonical.StatusRunning {
		c.EndUnixNano = 2_000_000
	}
	if tokens > 0 {
		c.Tokens = canonical.Tokens{Input: tokens, Present: true}
	}
	if cost > 0 {
		c.Cost = canonical.Cost{Total: cost, Status: canonical.CostStatusPriced}
	} else if tokens > 0 {
		c.Cost = canonical.Cost{Status: canonical.CostStatusUnpriced}
	}
	return live.SpanOf(&c)
}

func TestPublishAndRead(t *testing.T) {
	rdb, prefix := livetest.Client(t)
	ctx := context.Background()
	pub := live.NewPublisher(rdb, prefix, live.PublisherConfig{StreamMaxLen: 1000, CounterTTL: time.Hour, SessionTTL: time.Hour})
	r := live.NewReader(rdb, prefix)
	sub, err := r.Subscribe(ctx)
	require.NoError(t, err)
	defer sub.Close()

	now := time.Date(2025, 7, 1, 10, 30, 15, 0, time.UTC)
	spans := []live.Span{
		mkSpan("a", "gpt-4o", "planner", "s1", canonical.StatusOK, 100, 0.01),
		mkSpan("b", "gpt-4o", "coder", "s2", canonical.StatusError, 50, 0.02),
		mkSpan("c", "mystery", "coder", "s2", canonical.StatusOK, 7, 0), // unpriced: no cost
		mkSpan("d", "gpt-4o", "coder", "s3", canonical.StatusRunning, 0, 0),
	}
	require.NoError(t, pub.Publish(ctx, spans, []live.SessionMark{{SessionID: "s3", End: true}, {SessionID: "s4"}}, now))

	for _, want := range []string{"a", "b", "c", "d"} {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		got, err := sub.Receive(rctx)
		cancel()
		require.NoError(t, err)
		assert.Equal(t, want, got.SpanID)
	}

	recent, err := r.Recent(ctx, 3)
	require.NoError(t, err)
	require.Len(t, recent, 3)
	assert.Equal(t, []string{"b", "c", "d"}, []string{recent[0].Span.SpanID, recent[1].Span.SpanID, recent[2].Span.SpanID})
	assert.Nil(t, recent[1].Span.CostUSD, "unpriced span has no cost, not $0")
	after, err := r.After(ctx, recent[0].ID, 10)
	require.NoError(t, err)
	assert.Len(t, after, 2)
	all, err := r.After(ctx, "", 10)
	require.NoError(t, err)
	assert.Len(t, all, 4)

	mcs, err := r.Counters(ctx, now.Add(-time.Minute), now.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, mcs, 1)
	mc := mcs[0]
	assert.Equal(t, now.Truncate(time.Minute), mc.Minute)
	assert.Equal(t, int64(3), mc.Spans, "running spans are not counted")
	assert.Equal(t, int64(157), mc.Tokens)
	assert.Equal(t, int64(1), mc.Errors)
	assert.InDelta(t, 0.03, mc.CostUSD, 1e-9)
	assert.Equal(t, live.Counters{Spans: 2, Tokens: 150, Errors: 1, CostUSD: 0.03}, roundCost(mc.ByModel["gpt-4o"]))
	assert.Equal(t, live.Counters{Spans: 1, Tokens: 7}, mc.ByModel["mystery"])
	assert.Equal(t, live.Counters{Spans: 2, Tokens: 57, Errors: 1, CostUSD: 0.02}, roundCost(mc.ByAgent["coder"]))

	ttl, err := rdb.TTL(ctx, live.Keys{Prefix: prefix}.Minute(now)).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 50*time.Minute, "counters expire")

	act, err := r.ActiveSessions(ctx, now, 10*time.Minute)
	require.NoError(t, err)
	var ids []string
	for _, a := range act {
		ids = append(ids, a.ID)
	}
	assert.ElementsMatch(t, []string{"s1", "s2", "s4"}, ids, "s3 ended")

	// Following returns only what is published after.
	done := make(chan []live.Entry)
	go func() {
		e, _ := r.Follow(ctx, "$", 10, 5*time.Second)
		done <- e
	}()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, pub.Publish(ctx, []live.Span{mkSpan("e", "gpt-4o", "coder", "s2", canonical.StatusOK, 1, 0)}, nil, now))
	got := <-done
	require.Len(t, got, 1)
	assert.Equal(t, "e", got[0].Span.SpanID)
}

func roundCost(c live.Counters) live.Counters {
	c.CostUSD = float64(int64(c.CostUSD*1e9+0.5)) / 1e9
	return c
}

func TestStreamIsCapped(t *testing.T) {
	rdb, prefix := livetest.Client(t)
	ctx := context.Background()
	pub := live.NewPublisher(rdb, prefix, live.PublisherConfig{StreamMaxLen: 100})
	batch := make([]live.Span, 500)
	for i := range batch {
		batch[i] = mkSpan("x", "m", "a", "", canonical.StatusOK, 1, 0)
	}
	for i := 0; i < 10; i++ {
		require.NoError(t, pub.Publish(ctx, batch, nil, time.Now()))
	}
	n, err := rdb.XLen(ctx, live.Keys{Prefix: prefix}.Stream()).Result()
	require.NoError(t, err)
	assert.Less(t, n, int64(1000), "MAXLEN ~ keeps the stream near its cap (got %d)", n)
}
