package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// LiveFilter selects the spans of the live stream; empty fields match
// everything.
type LiveFilter struct {
	Session string
	Trace   string
	Type    string
	Model   string
	Status  string
}

func (f LiveFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"session": f.Session, "trace": f.Trace, "type": f.Type, "model": f.Model, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// FollowOptions tune Follow.
type FollowOptions struct {
	// AfterSeq resumes after a stored sequence number; 0 starts with the
	// spans stored from now on.
	AfterSeq int64
	// FailFast returns the first connection error instead of retrying, so a
	// command run against a stopped API fails at once. Later drops are
	// retried either way.
	FailFast bool
	// OnState is told about connection changes: connected, or the error
	// that dropped the stream and the delay before the next attempt.
	OnState func(connected bool, err error, retryIn time.Duration)
	// MaxBackoff bounds the delay between reconnection attempts (default 5s).
	MaxBackoff time.Duration
}

// liveReadLimit bounds one WebSocket message: a batch of up to 1000 spans,
// each with bounded prompt and response text.
const liveReadLimit = 256 << 20

// Follow streams new spans from GET /api/v1/live to deliver, oldest first,
// until ctx ends (returning nil) or deliver fails (returning its error).
// A dropped connection is re-opened with backoff, resuming after the last
// sequence number received, so no span is missed or repeated. Errors the
// server answers with a 4xx (a bad filter, a missing key) are returned.
func (c *Client) Follow(ctx context.Context, f LiveFilter, opts FollowOptions, deliver func([]Span) error) error {
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	lastSeq := opts.AfterSeq
	backoff := 250 * time.Millisecond
	connectedOnce := false
	for {
		connected, err := c.followOnce(ctx, f, &lastSeq, opts.OnState, deliver)
		if ctx.Err() != nil {
			return nil
		}
		var de *deliverError
		if errors.As(err, &de) {
			return de.err
		}
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.Status/100 == 4 {
			return err
		}
		connectedOnce = connectedOnce || connected
		if opts.FailFast && !connectedOnce {
			return err
		}
		if connected {
			backoff = 250 * time.Millisecond
		}
		if opts.OnState != nil {
			opts.OnState(false, err, backoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, opts.MaxBackoff)
	}
}

// deliverError carries the caller's own error out of the read loop.
type deliverError struct{ err error }

func (e *deliverError) Error() string { return e.err.Error() }

// followOnce runs one WebSocket connection; connected reports whether the
// handshake succeeded.
func (c *Client) followOnce(ctx context.Context, f LiveFilter, lastSeq *int64, onState func(bool, error, time.Duration),
	deliver func([]Span) error,
) (connected bool, err error) {
	q := f.query()
	if *lastSeq > 0 {
		q.Set("after_seq", strconv.FormatInt(*lastSeq, 10))
	}
	u := c.endpoint("/api/v1/live", q)
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	h := http.Header{}
	if c.apiKey != "" {
		h.Set("Authorization", "Bearer "+c.apiKey)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.Dial(dialCtx, u.String(), &websocket.DialOptions{HTTPHeader: h})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			if resp.Body == nil {
				resp.Body = io.NopCloser(http.NoBody)
			}
			return false, readError(resp)
		}
		return false, &UnreachableError{URL: c.URL(), Err: err}
	}
	defer conn.CloseNow()
	conn.SetReadLimit(liveReadLimit)
	if onState != nil {
		onState(true, nil, 0)
	}
	for {
		var msg liveMessage
		if err := wsjson.Read(ctx, conn, &msg); err != nil {
			if ctx.Err() != nil {
				conn.Close(websocket.StatusNormalClosure, "")
				return true, ctx.Err()
			}
			return true, fmt.Errorf("live stream from %s dropped: %w", c.URL(), err)
		}
		if len(msg.Spans) == 0 {
			continue
		}
		spans := make([]Span, len(msg.Spans))
		for i, raw := range msg.Spans {
			if err := json.Unmarshal(raw, &spans[i]); err != nil {
				return true, fmt.Errorf("live stream from %s sent a span that is not the expected JSON: %w", c.URL(), err)
			}
			spans[i].Raw = raw
		}
		if err := deliver(spans); err != nil {
			conn.Close(websocket.StatusNormalClosure, "")
			return true, &deliverError{err}
		}
		if msg.LastSeq > *lastSeq {
			*lastSeq = msg.LastSeq
		}
	}
}
