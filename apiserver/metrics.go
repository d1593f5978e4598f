package apiserver

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/agenttrace/agenttrace/internal/storage"
)

const (
	defaultMetricsWindow = 24 * time.Hour
	defaultTopErrors     = 10
	maxTopErrors         = 100
)

// metricsRange resolves a metrics time range: [now-24h, now) by default, a
// missing end is now, a missing start is 24 h before the end.
func (s *Server) metricsRange(a *args) (storage.TimeRange, error) {
	r := timeRange(a)
	if r.To == 0 {
		r.To = s.now().UnixNano()
	}
	if r.From == 0 {
		r.From = r.To - int64(defaultMetricsWindow)
	}
	if r.From >= r.To {
		return r, badParam("from", "must be before to (to defaults to now)")
	}
	return r, nil
}

type windowView struct {
	FromUnixNano int64  `json:"from_unix_nano"`
	ToUnixNano   int64  `json:"to_unix_nano"`
	From         string `json:"from"`
	To           string `json:"to"`
}

func viewWindow(r storage.TimeRange) windowView {
	return windowView{FromUnixNano: r.From, ToUnixNano: r.To, From: rfc3339(r.From), To: rfc3339(r.To)}
}

type summaryView struct {
	Spans         int64      `json:"spans"`
	Traces        int64      `json:"traces"`
	Sessions      int64      `json:"sessions"`
	LLMCalls      int64      `json:"llm_calls"`
	ToolCalls     int64      `json:"tool_calls"`
	Errors        int64      `json:"errors"`
	ErrorRate     *float64   `json:"error_rate" doc:"errors / spans"`
	Tokens        tokensView `json:"tokens"`
	CostUSD       *float64   `json:"cost_usd" doc:"null when nothing was priced but some spans were unpriced"`
	UnpricedSpans int64      `json:"unpriced_spans"`
	LatencyP50Ms  *float64   `json:"latency_p50_ms" doc:"finished LLM calls"`
	LatencyP95Ms  *float64   `json:"latency_p95_ms"`
}

func viewSummary(s *storage.Summary) summaryView {
	return summaryView{
		Spans: s.Spans, Traces: s.Traces, Sessions: s.Sessions, LLMCalls: s.LLMCalls, ToolCalls: s.ToolCalls,
		Errors: s.Errors, ErrorRate: num(s.ErrorRate), Tokens: viewTokens(s.Tokens),
		CostUSD:       aggregateCost(s.CostUSD, s.CostUSD != 0, s.UnpricedSpans),
		UnpricedSpans: s.UnpricedSpans, LatencyP50Ms: num(s.LatencyP50Ms), LatencyP95Ms: num(s.LatencyP95Ms),
	}
}

// changeView is the change of one value against the previous period.
type changeView struct {
	Delta   *float64 `json:"delta" doc:"current - previous; null when either is null"`
	Percent *float64 `json:"percent" doc:"delta / previous * 100; null when previous is 0 or null"`
}

func change(cur, prev *float64) changeView {
	if cur == nil || prev == nil {
		return changeView{}
	}
	c := changeView{Delta: num(*cur - *prev)}
	if *prev != 0 {
		c.Percent = num((*cur - *prev) / *prev * 100)
	}
	return c
}

func changeInt(cur, prev int64) changeView {
	c, p := float64(cur), float64(prev)
	return change(&c, &p)
}

type summaryChangeView struct {
	Spans        changeView `json:"spans"`
	Traces       changeView `json:"traces"`
	Sessions     changeView `json:"sessions"`
	LLMCalls     changeView `json:"llm_calls"`
	ToolCalls    changeView `json:"tool_calls"`
	Errors       changeView `json:"errors"`
	ErrorRate    changeView `json:"error_rate"`
	TokensTotal  changeView `json:"tokens_total"`
	CostUSD      changeView `json:"cost_usd"`
	LatencyP50Ms changeView `json:"latency_p50_ms"`
	LatencyP95Ms changeView `json:"latency_p95_ms"`
}

type summaryResponseView struct {
	Window         windowView        `json:"window"`
	PreviousWindow windowView        `json:"previous_window" doc:"the period of the same length just before window"`
	Current        summaryView       `json:"current"`
	Previous       summaryView       `json:"previous"`
	Change         summaryChangeView `json:"change"`
}

func (s *Server) metricsSummary(c *gin.Context, a *args) {
	r, err := s.metricsRange(a)
	if err != nil {
		s.fail(c, err)
		return
	}
	prevRange := storage.TimeRange{From: max(r.From-(r.To-r.From), 1), To: r.From}
	ctx := c.Request.Context()
	cur, err := s.store.Summary(ctx, a.scope, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	prev, err := s.store.Summary(ctx, a.scope, prevRange)
	if err != nil {
		s.fail(c, err)
		return
	}
	cv, pv := viewSummary(&cur), viewSummary(&prev)
	c.JSON(http.StatusOK, summaryResponseView{
		Window: viewWindow(r), PreviousWindow: viewWindow(prevRange), Current: cv, Previous: pv,
		Change: summaryChangeView{
			Spans: changeInt(cur.Spans, prev.Spans), Traces: changeInt(cur.Traces, prev.Traces),
			Sessions: changeInt(cur.Sessions, prev.Sessions), LLMCalls: changeInt(cur.LLMCalls, prev.LLMCalls),
			ToolCalls: changeInt(cur.ToolCalls, prev.ToolCalls), Errors: changeInt(cur.Errors, prev.Errors),
			ErrorRate: change(cv.ErrorRate, pv.ErrorRate), TokensTotal: changeInt(cur.Tokens.Total(), prev.Tokens.Total()),
			CostUSD: change(cv.CostUSD, pv.CostUSD), LatencyP50Ms: change(cv.LatencyP50Ms, pv.LatencyP50Ms),
			LatencyP95Ms: change(cv.LatencyP95Ms, pv.LatencyP95Ms),
		},
	})
}

// groupedRange is a grouped metrics request's time range and group_by
// (def when absent).
func (s *Server) groupedRange(a *args, def string) (storage.TimeRange, string, error) {
	r, err := s.metricsRange(a)
	if err != nil {
		return r, "", err
	}
	groupBy := a.text("group_by")
	if groupBy == "" {
		groupBy = def
	}
	return r, groupBy, nil
}

type costRowView struct {
	Key            string     `json:"key" doc:"group value; for time groups the bucket start in RFC 3339 (UTC)"`
	BucketUnixNano *int64     `json:"bucket_unix_nano" doc:"bucket start for time groups, null otherwise"`
	Spans          int64      `json:"spans"`
	Tokens         tokensView `json:"tokens"`
	CostUSD        *float64   `json:"cost_usd" doc:"null when nothing in the group was priced but some spans were unpriced"`
	UnpricedSpans  int64      `json:"unpriced_spans"`
}

type costsView struct {
	Window  windowView    `json:"window"`
	GroupBy string        `json:"group_by"`
	Rows    []costRowView `json:"rows"`
}

func (s *Server) metricsCosts(c *gin.Context, a *args) {
	r, groupBy, err := s.groupedRange(a, storage.GroupDay)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.store.CostBreakdown(c.Request.Context(), a.scope, r, groupBy)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := costsView{Window: viewWindow(r), GroupBy: groupBy, Rows: make([]costRowView, len(rows))}
	timeGroup := groupBy == storage.GroupHour || groupBy == storage.GroupDay || groupBy == storage.GroupWeek
	for i := range rows {
		row := &rows[i]
		v := costRowView{Key: row.Key, Spans: row.Spans, Tokens: viewTokens(row.Tokens),
			CostUSD: aggregateCost(row.CostUSD, row.CostUSD != 0, row.UnpricedSpans), UnpricedSpans: row.UnpricedSpans}
		if timeGroup {
			v.BucketUnixNano = &row.BucketUnixNano
		}
		out.Rows[i] = v
	}
	c.JSON(http.StatusOK, out)
}

type perfRowView struct {
	Key       string   `json:"key"`
	Count     int64    `json:"count"`
	Errors    int64    `json:"errors"`
	P50Ms     *float64 `json:"p50_ms"`
	P95Ms     *float64 `json:"p95_ms"`
	P99Ms     *float64 `json:"p99_ms"`
	AvgMs     *float64 `json:"avg_ms"`
	PerSecond *float64 `json:"per_second" doc:"throughput: count / range length in seconds"`
}

type performanceView struct {
	Window  windowView    `json:"window"`
	GroupBy string        `json:"group_by"`
	Rows    []perfRowView `json:"rows"`
}

func (s *Server) metricsPerformance(c *gin.Context, a *args) {
	r, groupBy, err := s.groupedRange(a, storage.GroupType)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.store.Performance(c.Request.Context(), a.scope, r, groupBy)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := performanceView{Window: viewWindow(r), GroupBy: groupBy, Rows: make([]perfRowView, len(rows))}
	for i, row := range rows {
		out.Rows[i] = perfRowView{Key: row.Key, Count: row.Count, Errors: row.Errors, P50Ms: num(row.P50Ms),
			P95Ms: num(row.P95Ms), P99Ms: num(row.P99Ms), AvgMs: num(row.AvgMs), PerSecond: num(row.PerSecond)}
	}
	c.JSON(http.StatusOK, out)
}

type errorRowView struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Type    string `json:"type"`
	Count   int64  `json:"count"`
}

type errorsView struct {
	Window windowView     `json:"window"`
	Spans  int64          `json:"spans"`
	Errors int64          `json:"errors"`
	Rate   *float64       `json:"rate" doc:"errors / spans"`
	Top    []errorRowView `json:"top"`
}

func (s *Server) metricsErrors(c *gin.Context, a *args) {
	r, err := s.metricsRange(a)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.store.Errors(c.Request.Context(), a.scope, r, int(a.int("limit", defaultTopErrors)))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := errorsView{Window: viewWindow(r), Spans: st.Spans, Errors: st.Errors, Rate: num(st.Rate),
		Top: make([]errorRowView, len(st.Top))}
	for i, row := range st.Top {
		out.Top[i] = errorRowView{Message: row.Message, Code: row.Code, Type: string(row.Type), Count: row.Count}
	}
	c.JSON(http.StatusOK, out)
}
