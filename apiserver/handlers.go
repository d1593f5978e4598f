package apiserver

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

type healthView struct {
	Status  string `json:"status" doc:"ok, or unavailable when the storage does not answer"`
	Version string `json:"version"`
	Storage string `json:"storage" doc:"ok, or unavailable when the storage does not answer (details in the server log)"`
	Time    string `json:"time"`
}

func (s *Server) health(c *gin.Context, _ *args) {
	v := healthView{Status: "ok", Version: s.version, Storage: "ok", Time: s.now().UTC().Format(time.RFC3339)}
	status := http.StatusOK
	if err := s.checkStorage(c.Request.Context()); err != nil {
		s.logger.Warn("health check: storage does not answer", zap.Error(err))
		v.Status, v.Storage, status = codeUnavailable, codeUnavailable, http.StatusServiceUnavailable
	}
	c.JSON(status, v)
}

// checkStorage pings the backend, or makes the cheapest read (one session,
// served by an index) when it cannot ping.
func (s *Server) checkStorage(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if p, ok := s.store.(Pinger); ok {
		return p.Ping(ctx)
	}
	_, err := s.store.ListSessions(ctx, storage.AllProjects(), storage.SessionQuery{Limit: 1})
	return err
}

type deletedView struct {
	Deleted   bool   `json:"deleted"`
	SessionID string `json:"session_id"`
}

func (s *Server) listSessions(c *gin.Context, a *args) {
	page, err := s.store.ListSessions(c.Request.Context(), a.scope, storage.SessionQuery{
		TimeRange: timeRange(a), AgentName: a.text("agent"), Text: a.text("q"), Active: a.boolPtr("active"),
		Limit: int(a.int("limit", storage.DefaultLimit)), Cursor: a.text("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewSessionPage(page))
}

func (s *Server) getSession(c *gin.Context, a *args) {
	sess, err := s.store.GetSession(c.Request.Context(), a.scope, a.text("session_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewSession(&sess))
}

func (s *Server) deleteSession(c *gin.Context, a *args) {
	id := a.text("session_id")
	if err := s.store.DeleteSession(c.Request.Context(), a.scope, id); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, deletedView{Deleted: true, SessionID: id})
}

func (s *Server) listSessionTraces(c *gin.Context, a *args) {
	ctx := c.Request.Context()
	id := a.text("session_id")
	// An unknown session is a 404, not an empty list.
	if _, err := s.store.GetSession(ctx, a.scope, id); err != nil {
		s.fail(c, err)
		return
	}
	s.respondTraces(c, a, storage.TraceQuery{
		TimeRange: timeRange(a), SessionID: id, Status: canonical.Status(a.text("status")),
		Limit: int(a.int("limit", storage.DefaultLimit)), Cursor: a.text("cursor"),
	})
}

func (s *Server) listTraces(c *gin.Context, a *args) {
	q := traceQuery(a)
	q.Limit, q.Cursor = int(a.int("limit", storage.DefaultLimit)), a.text("cursor")
	s.respondTraces(c, a, q)
}

func (s *Server) respondTraces(c *gin.Context, a *args, q storage.TraceQuery) {
	page, err := s.store.ListTraces(c.Request.Context(), a.scope, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewTracePage(page))
}

// traceQuery builds the filters shared by the trace list and export.
func traceQuery(a *args) storage.TraceQuery {
	return storage.TraceQuery{
		TimeRange: timeRange(a), SessionID: a.text("session"), AgentName: a.text("agent"),
		Model: a.text("model"), Status: canonical.Status(a.text("status")), MinCostUSD: a.float("min_cost"),
		MinDurationNanos: int64(a.duration("min_duration")), Text: a.text("q"),
	}
}

func (s *Server) getTrace(c *gin.Context, a *args) {
	t, err := s.store.GetTrace(c.Request.Context(), a.scope, a.text("trace_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewTrace(&t))
}

func (s *Server) traceTree(c *gin.Context, a *args) {
	spans, err := s.store.TraceSpans(c.Request.Context(), a.scope, a.text("trace_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, buildTree(a.text("trace_id"), spans))
}

func (s *Server) traceWaterfall(c *gin.Context, a *args) {
	spans, err := s.store.TraceSpans(c.Request.Context(), a.scope, a.text("trace_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, buildWaterfall(a.text("trace_id"), spans))
}

func (s *Server) traceChain(c *gin.Context, a *args) {
	ctx := c.Request.Context()
	id := a.text("trace_id")
	sum, err := s.store.GetTrace(ctx, a.scope, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	spans, err := s.store.TraceSpans(ctx, a.scope, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, buildChain(&sum, spans))
}

func (s *Server) querySpans(c *gin.Context, a *args) {
	q := spanQuery(a)
	q.AfterSeq = a.int("after_seq", 0)
	q.Limit, q.Cursor = int(a.int("limit", storage.DefaultLimit)), a.text("cursor")
	page, err := s.store.QuerySpans(c.Request.Context(), a.scope, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewSpanPage(page))
}

// spanQuery builds the filters shared by the span query and export.
func spanQuery(a *args) storage.SpanQuery {
	return storage.SpanQuery{
		TimeRange: timeRange(a), SessionID: a.text("session"), TraceID: a.text("trace"),
		Type: canonical.SpanType(a.text("type")), Model: a.text("model"), Status: canonical.Status(a.text("status")),
	}
}

func (s *Server) getSpan(c *gin.Context, a *args) {
	sp, err := s.store.GetSpan(c.Request.Context(), a.scope, a.text("trace_id"), a.text("span_id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewSpan(&sp))
}

func timeRange(a *args) storage.TimeRange {
	return storage.TimeRange{From: a.time("from"), To: a.time("to")}
}
