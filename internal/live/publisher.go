package live

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// PublisherConfig bounds what the publisher keeps in Redis.
type PublisherConfig struct {
	// StreamMaxLen caps the stream (approximately, MAXLEN ~).
	StreamMaxLen int64
	// CounterTTL is how long per-minute counters live.
	CounterTTL time.Duration
	// SessionTTL drops a session from the active set after this long
	// without a span.
	SessionTTL time.Duration
}

// Publisher writes live spans, counters and active sessions, one pipeline
// (one round trip) per call.
type Publisher struct {
	rdb  redis.UniversalClient
	keys Keys
	cfg  PublisherConfig
	buf  []byte
}

// NewPublisher returns a publisher writing under prefix. It is not safe for
// concurrent use; use one per goroutine.
func NewPublisher(rdb redis.UniversalClient, prefix string, cfg PublisherConfig) *Publisher {
	return &Publisher{rdb: rdb, keys: Keys{Prefix: prefix}, cfg: cfg}
}

type minuteAgg struct {
	total   Counters
	byModel map[string]*Counters
	byAgent map[string]*Counters
}

func (c *Counters) add(s *Span) {
	c.Spans++
	if s.Tokens != nil {
		c.Tokens += s.Tokens.Total
	}
	if s.Failed() {
		c.Errors++
	}
	if s.CostUSD != nil {
		c.CostUSD += *s.CostUSD
	}
}

// Publish writes spans to the channel and the stream, adds the finished
// ones to the counters of the minute holding now, and updates the active
// sessions. Session marks apply after the spans of the same call.
func (p *Publisher) Publish(ctx context.Context, spans []Span, marks []SessionMark, now time.Time) error {
	if len(spans) == 0 && len(marks) == 0 {
		return nil
	}
	pipe := p.rdb.Pipeline()
	agg := minuteAgg{byModel: map[string]*Counters{}, byAgent: map[string]*Counters{}}
	sessions := map[string]struct{}{}
	// One buffer holds every encoded span: go-redis keeps references
	// until Exec, so the slices must not be reused before then.
	p.buf = p.buf[:0]
	offs := make([]int, 0, len(spans)+1)
	for i := range spans {
		offs = append(offs, len(p.buf))
		b, err := json.Marshal(&spans[i])
		if err != nil {
			return fmt.Errorf("live: encode span: %w", err)
		}
		p.buf = append(p.buf, b...)
	}
	offs = append(offs, len(p.buf))
	for i := range spans {
		s := &spans[i]
		msg := p.buf[offs[i]:offs[i+1]:offs[i+1]]
		pipe.Publish(ctx, p.keys.Channel(), msg)
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: p.keys.Stream(), MaxLen: p.cfg.StreamMaxLen, Approx: true,
			Values: []any{StreamField, msg}})
		if s.SessionID != "" {
			sessions[s.SessionID] = struct{}{}
		}
		if !s.Finished() {
			continue
		}
		agg.total.add(s)
		if s.Model != "" {
			counter(agg.byModel, s.Model).add(s)
		}
		if s.AgentName != "" {
			counter(agg.byAgent, s.AgentName).add(s)
		}
	}
	if agg.total.Spans > 0 {
		p.queueCounters(ctx, pipe, now, agg)
	}
	active := p.keys.ActiveSessions()
	nowMs := float64(now.UnixMilli())
	for _, m := range marks {
		if !m.End {
			sessions[m.SessionID] = struct{}{}
		}
	}
	for id := range sessions {
		pipe.ZAdd(ctx, active, redis.Z{Score: nowMs, Member: id})
	}
	for _, m := range marks {
		if m.End {
			pipe.ZRem(ctx, active, m.SessionID)
		}
	}
	if p.cfg.SessionTTL > 0 {
		pipe.ZRemRangeByScore(ctx, active, "-inf", strconv.FormatInt(now.Add(-p.cfg.SessionTTL).UnixMilli(), 10))
		pipe.Expire(ctx, active, p.cfg.SessionTTL)
	}
	_, err := pipe.Exec(ctx)
	if err != nil {
		return fmt.Errorf("live: publish %d spans: %w", len(spans), err)
	}
	return nil
}

func counter(m map[string]*Counters, k string) *Counters {
	c := m[k]
	if c == nil {
		c = &Counters{}
		m[k] = c
	}
	return c
}

func (p *Publisher) queueCounters(ctx context.Context, pipe redis.Pipeliner, now time.Time, agg minuteAgg) {
	incr := func(key, suffix string, c *Counters) {
		pipe.HIncrBy(ctx, key, FieldSpans+suffix, c.Spans)
		if c.Tokens != 0 {
			pipe.HIncrBy(ctx, key, FieldTokens+suffix, c.Tokens)
		}
		if c.Errors != 0 {
			pipe.HIncrBy(ctx, key, FieldErrors+suffix, c.Errors)
		}
		if c.CostUSD != 0 {
			pipe.HIncrByFloat(ctx, key, FieldCostUSD+suffix, c.CostUSD)
		}
	}
	total, byModel, byAgent := p.keys.Minute(now), p.keys.MinuteByModel(now), p.keys.MinuteByAgent(now)
	incr(total, "", &agg.total)
	for m, c := range agg.byModel {
		incr(byModel, ":"+m, c)
	}
	for a, c := range agg.byAgent {
		incr(byAgent, ":"+a, c)
	}
	if p.cfg.CounterTTL > 0 {
		pipe.Expire(ctx, total, p.cfg.CounterTTL)
		if len(agg.byModel) > 0 {
			pipe.Expire(ctx, byModel, p.cfg.CounterTTL)
		}
		if len(agg.byAgent) > 0 {
			pipe.Expire(ctx, byAgent, p.cfg.CounterTTL)
		}
	}
}
