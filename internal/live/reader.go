package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reader reads the live data. It is safe for concurrent use.
type Reader struct {
	rdb  redis.UniversalClient
	keys Keys
}

// NewReader returns a reader of the data written under prefix.
func NewReader(rdb redis.UniversalClient, prefix string) *Reader {
	return &Reader{rdb: rdb, keys: Keys{Prefix: prefix}}
}

// Entry is one stream entry.
type Entry struct {
	ID   string
	Span Span
}

func entries(msgs []redis.XMessage) ([]Entry, error) {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values[StreamField].(string)
		var s Span
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return out, fmt.Errorf("live: stream entry %s: %w", m.ID, err)
		}
		out = append(out, Entry{ID: m.ID, Span: s})
	}
	return out, nil
}

// Recent returns the newest count spans of the stream, oldest first: the
// replay a late subscriber shows before following.
func (r *Reader) Recent(ctx context.Context, count int64) ([]Entry, error) {
	msgs, err := r.rdb.XRevRangeN(ctx, r.keys.Stream(), "+", "-", count).Result()
	if err != nil {
		return nil, fmt.Errorf("live: recent: %w", err)
	}
	slices.Reverse(msgs)
	return entries(msgs)
}

// After returns up to count entries after id (exclusive), oldest first.
func (r *Reader) After(ctx context.Context, id string, count int64) ([]Entry, error) {
	start := "-"
	if id != "" {
		start = "(" + id
	}
	msgs, err := r.rdb.XRangeN(ctx, r.keys.Stream(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("live: after %s: %w", id, err)
	}
	return entries(msgs)
}

// Follow waits up to block for entries after id ("$": only new ones) and
// returns them, or nothing when the wait ends empty.
func (r *Reader) Follow(ctx context.Context, id string, count int64, block time.Duration) ([]Entry, error) {
	if id == "" {
		id = "$"
	}
	res, err := r.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{r.keys.Stream(), id}, Count: count, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("live: follow: %w", err)
	}
	var out []Entry
	for _, st := range res {
		e, err := entries(st.Messages)
		if err != nil {
			return out, err
		}
		out = append(out, e...)
	}
	return out, nil
}

// Subscription receives spans from the pub/sub channel.
type Subscription struct{ ps *redis.PubSub }

// Subscribe subscribes to the live channel; the subscription is active
// when Subscribe returns.
func (r *Reader) Subscribe(ctx context.Context) (*Subscription, error) {
	ps := r.rdb.Subscribe(ctx, r.keys.Channel())
	if _, err := ps.Receive(ctx); err != nil { // the subscribe confirmation
		ps.Close()
		return nil, fmt.Errorf("live: subscribe: %w", err)
	}
	return &Subscription{ps: ps}, nil
}

// Receive waits for the next span.
func (s *Subscription) Receive(ctx context.Context) (Span, error) {
	var sp Span
	msg, err := s.ps.ReceiveMessage(ctx)
	if err != nil {
		return sp, err
	}
	if err := json.Unmarshal([]byte(msg.Payload), &sp); err != nil {
		return sp, fmt.Errorf("live: message: %w", err)
	}
	return sp, nil
}

// Close ends the subscription.
func (s *Subscription) Close() error { return s.ps.Close() }

// Counters returns the counters of every minute in [from, to] that has
// any, oldest first.
func (r *Reader) Counters(ctx context.Context, from, to time.Time) ([]MinuteCounters, error) {
	from, to = from.UTC().Truncate(time.Minute), to.UTC().Truncate(time.Minute)
	if to.Before(from) {
		return nil, nil
	}
	if to.Sub(from) > 7*24*time.Hour {
		return nil, fmt.Errorf("live: counters: range %s longer than 7 days", to.Sub(from))
	}
	pipe := r.rdb.Pipeline()
	type minuteCmds struct {
		t                      time.Time
		total, byModel, byAgnt *redis.MapStringStringCmd
	}
	var cmds []minuteCmds
	for t := from; !t.After(to); t = t.Add(time.Minute) {
		cmds = append(cmds, minuteCmds{t, pipe.HGetAll(ctx, r.keys.Minute(t)), pipe.HGetAll(ctx, r.keys.MinuteByModel(t)),
			pipe.HGetAll(ctx, r.keys.MinuteByAgent(t))})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("live: counters: %w", err)
	}
	var out []MinuteCounters
	for _, c := range cmds {
		total := c.total.Val()
		if len(total) == 0 {
			continue
		}
		mc := MinuteCounters{Minute: c.t, ByModel: grouped(c.byModel.Val()), ByAgent: grouped(c.byAgnt.Val())}
		setField(&mc.Counters, total, "")
		out = append(out, mc)
	}
	return out, nil
}

func setField(c *Counters, h map[string]string, suffix string) {
	c.Spans, _ = strconv.ParseInt(h[FieldSpans+suffix], 10, 64)
	c.Tokens, _ = strconv.ParseInt(h[FieldTokens+suffix], 10, 64)
	c.Errors, _ = strconv.ParseInt(h[FieldErrors+suffix], 10, 64)
	c.CostUSD, _ = strconv.ParseFloat(h[FieldCostUSD+suffix], 64)
}

// grouped splits "field:name" hash fields into per-name counters.
func grouped(h map[string]string) map[string]Counters {
	if len(h) == 0 {
		return nil
	}
	out := map[string]Counters{}
	for f := range h {
		_, name, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		if _, done := out[name]; done {
			continue
		}
		var c Counters
		setField(&c, h, ":"+name)
		out[name] = c
	}
	return out
}

// ActiveSession is a session with recent activity.
type ActiveSession struct {
	ID         string
	LastActive time.Time
}

// ActiveSessions returns sessions active within the given window before
// now, most recently active first.
func (r *Reader) ActiveSessions(ctx context.Context, now time.Time, within time.Duration) ([]ActiveSession, error) {
	zs, err := r.rdb.ZRevRangeByScoreWithScores(ctx, r.keys.ActiveSessions(), &redis.ZRangeBy{
		Max: "+inf", Min: strconv.FormatInt(now.Add(-within).UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("live: active sessions: %w", err)
	}
	out := make([]ActiveSession, 0, len(zs))
	for _, z := range zs {
		id, _ := z.Member.(string)
		out = append(out, ActiveSession{ID: id, LastActive: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return out, nil
}
