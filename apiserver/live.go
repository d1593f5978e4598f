package apiserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// LiveFilter selects the spans a live subscriber receives; empty fields
// match everything.
type LiveFilter struct {
	SessionID string
	TraceID   string
	Type      canonical.SpanType
	Model     string
	Status    canonical.Status
	// AfterSeq resumes after a stored sequence number; 0 starts with the
	// spans stored after Follow is called.
	AfterSeq int64
	// Scope is the projects the subscriber may see. The zero Scope sees
	// nothing (StorePoller fails with storage.ErrNoScope).
	Scope storage.Scope
}

// Match reports whether s passes the filter (sequence aside), for sources
// that filter in process.
func (f *LiveFilter) Match(s *storage.Span) bool {
	return f.Scope.Allows(s.Project) && (f.SessionID == "" || s.SessionID == f.SessionID) && (f.TraceID == "" || s.TraceID == f.TraceID) &&
		(f.Type == "" || s.Type == f.Type) && (f.Model == "" || s.Model == f.Model) &&
		(f.Status == "" || s.Status == f.Status)
}

// LiveSource delivers new spans to live subscribers. The default polls the
// store; a Redis stream can be plugged in with WithLiveSource.
type LiveSource interface {
	// Follow calls deliver with each batch of new spans matching f, oldest
	// first, until ctx ends (returning ctx.Err()) or deliver fails
	// (returning its error).
	Follow(ctx context.Context, f LiveFilter, deliver func([]storage.Span) error) error
}

// StorePoller is the default LiveSource: it polls Reader.QuerySpans with
// AfterSeq, so it sees spans written by any process into the same store.
type StorePoller struct {
	Reader   storage.Reader
	Interval time.Duration // default 250ms
}

var _ LiveSource = (*StorePoller)(nil)

// Follow implements LiveSource.
func (p *StorePoller) Follow(ctx context.Context, f LiveFilter, deliver func([]storage.Span) error) error {
	interval := p.Interval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	q := storage.SpanQuery{SessionID: f.SessionID, TraceID: f.TraceID, Type: f.Type, Model: f.Model,
		Status: f.Status, AfterSeq: f.AfterSeq, Limit: storage.MaxLimit}
	if q.AfterSeq == 0 {
		seq, err := p.latestSeq(ctx, f.Scope)
		if err != nil {
			return err
		}
		q.AfterSeq = seq
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// Drain everything new before waiting again.
		for {
			page, err := p.Reader.QuerySpans(ctx, f.Scope, q)
			if err != nil {
				return err
			}
			if len(page.Items) == 0 {
				break
			}
			q.AfterSeq = page.Items[len(page.Items)-1].Seq
			if err := deliver(page.Items); err != nil {
				return err
			}
			if len(page.Items) < q.Limit {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// latestSeq is the sequence number of the last stored span (0 for an
// empty store), where following starts. The newest span by start time is
// near the end; spans stored after it (late arrivals with older start
// times) are skipped by following the sequence to its end.
func (p *StorePoller) latestSeq(ctx context.Context, sc storage.Scope) (int64, error) {
	page, err := p.Reader.QuerySpans(ctx, sc, storage.SpanQuery{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return 0, err
	}
	seq := page.Items[0].Seq
	for {
		page, err := p.Reader.QuerySpans(ctx, sc, storage.SpanQuery{AfterSeq: seq, Limit: storage.MaxLimit})
		if err != nil {
			return 0, err
		}
		if len(page.Items) > 0 {
			seq = page.Items[len(page.Items)-1].Seq
		}
		if len(page.Items) < storage.MaxLimit {
			return seq, nil
		}
	}
}

// liveMessageView is one WebSocket text message.
type liveMessageView struct {
	Type    string     `json:"type" doc:"spans"`
	Spans   []spanView `json:"spans"`
	LastSeq int64      `json:"last_seq" doc:"pass as after_seq when reconnecting to resume"`
}

const liveWriteTimeout = 10 * time.Second

func (s *Server) liveSpans(c *gin.Context, a *args) {
	if !strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		abortJSON(c, http.StatusUpgradeRequired, "upgrade_required", "this endpoint is a WebSocket; connect with Upgrade: websocket")
		return
	}
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{
		OriginPatterns:     s.origins.hosts,
		InsecureSkipVerify: s.origins.any,
	})
	if err != nil {
		return // Accept has answered the request.
	}
	defer conn.CloseNow()
	s.liveStream.Add(1)
	defer s.liveStream.Done()

	// The read context must outlive Shutdown's signal: cancelling it would
	// drop the connection before the close handshake.
	ctx, cancel := context.WithCancel(conn.CloseRead(context.Background()))
	defer cancel()
	defer context.AfterFunc(s.liveCtx, cancel)()
	go keepAlive(ctx, conn)
	f := LiveFilter{SessionID: a.text("session"), TraceID: a.text("trace"), Type: canonical.SpanType(a.text("type")),
		Model: a.text("model"), Status: canonical.Status(a.text("status")), AfterSeq: a.int("after_seq", 0),
		Scope: a.scope}
	err = s.live.Follow(ctx, f, func(spans []storage.Span) error {
		msg := liveMessageView{Type: "spans", Spans: make([]spanView, len(spans)), LastSeq: spans[len(spans)-1].Seq}
		for i := range spans {
			msg.Spans[i] = viewSpan(&spans[i])
		}
		wctx, wcancel := context.WithTimeout(ctx, liveWriteTimeout)
		defer wcancel()
		return wsjson.Write(wctx, conn, msg)
	})
	switch {
	case s.liveCtx.Err() != nil:
		conn.Close(websocket.StatusGoingAway, "server shutting down")
	case ctx.Err() != nil:
		// The client closed the connection.
	case err == nil:
		conn.Close(websocket.StatusNormalClosure, "")
	case errors.Is(err, context.DeadlineExceeded):
		conn.Close(websocket.StatusPolicyViolation, "client too slow")
	default:
		s.logger.Warn("live stream ended", zap.Error(err))
		conn.Close(websocket.StatusInternalError, "live source failed")
	}
}

// keepAlive pings so idle streams survive proxies and dead peers are found.
func keepAlive(ctx context.Context, conn *websocket.Conn) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, liveWriteTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		}
	}
}
