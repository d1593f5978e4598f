package apiserver

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// route is one endpoint. The route table registers the handlers and
// generates the OpenAPI document, so the two cannot drift apart.
type route struct {
	method, path string // gin syntax (:name for path parameters)
	op           string // OpenAPI operationId
	tag          string
	summary      string
	pathParams   []param
	query        []param
	public       bool // no API key needed
	admin        bool // admin key needed
	stream       bool // long response: no query timeout
	// response is a zero value of the 200 response's JSON shape; nil for
	// non-JSON responses, which list their content types in produces.
	response any
	produces []string
	handle   func(*gin.Context, *args)
}

const (
	apiPrefix  = "/api/v1"
	livePath   = apiPrefix + "/live"
	healthPath = "/health"
)

// Query parameter sets shared by a list endpoint and its export.
var (
	traceFilters = []param{pFrom, pTo, pProject, pSession, pAgent, pModel, pStatus,
		{name: "min_cost", kind: kindFloat, desc: "minimum trace cost in USD"},
		{name: "min_duration", kind: kindDuration, desc: "minimum trace duration (250ms, 1.5s, 2m)"},
		{name: "q", kind: kindText, desc: "text in span names, prompts, responses or tool input/output"},
	}
	spanFilters = []param{pFrom, pTo, pProject, pSession, pTrace, pType, pModel, pStatus}
)

func (s *Server) routeTable() []route {
	formats := param{name: "format", kind: kindEnum, enum: exportFormats, def: formatNDJSON,
		desc: "ndjson (one JSON object a line), json (a JSON array), csv or parquet"}
	exportLimit := param{name: "limit", kind: kindInt, min: 1, max: maxExportRows,
		desc: "maximum number of rows (default: all)"}
	exportTypes := []string{mimeNDJSON, mimeJSON, mimeCSV, mimeParquet}
	window := []param{pFrom, pTo, pProject}
	health := route{method: http.MethodGet, op: "health", tag: "health", summary: "Liveness and storage health",
		public: true, response: healthView{}, handle: s.health}

	return []route{
		withPath(health, healthPath, "health"),
		withPath(health, apiPrefix+"/health", "apiHealth"),
		{method: http.MethodGet, path: apiPrefix + "/openapi.json", op: "openapi", tag: "meta",
			summary: "This OpenAPI document", public: true, produces: []string{mimeJSON}, handle: s.openAPI},

		{method: http.MethodGet, path: apiPrefix + "/sessions", op: "listSessions", tag: "sessions",
			summary: "List sessions, newest first",
			query: []param{pFrom, pTo, pProject, pAgent,
				{name: "q", kind: kindText, desc: "text in the session name"},
				{name: "active", kind: kindBool, desc: "only active (true) or ended (false) sessions"},
				pLimit, pCursor},
			response: sessionPageView{}, handle: s.listSessions},
		{method: http.MethodGet, path: apiPrefix + "/sessions/:session_id", op: "getSession", tag: "sessions",
			summary: "A session with its totals", pathParams: []param{pathSessionID},
			response: sessionView{}, handle: s.getSession},
		{method: http.MethodDelete, path: apiPrefix + "/sessions/:session_id", op: "deleteSession", tag: "sessions",
			summary: "Delete a session with its traces and spans (admin key)", pathParams: []param{pathSessionID},
			admin: true, response: deletedView{}, handle: s.deleteSession},
		{method: http.MethodGet, path: apiPrefix + "/sessions/:session_id/traces", op: "listSessionTraces", tag: "sessions",
			summary: "The traces of a session, newest first", pathParams: []param{pathSessionID},
			query: []param{pFrom, pTo, pProject, pStatus, pLimit, pCursor}, response: tracePageView{}, handle: s.listSessionTraces},

		{method: http.MethodGet, path: apiPrefix + "/traces", op: "listTraces", tag: "traces",
			summary: "Search traces, newest first", query: append(append([]param{}, traceFilters...), pLimit, pCursor),
			response: tracePageView{}, handle: s.listTraces},
		{method: http.MethodGet, path: apiPrefix + "/traces/:trace_id", op: "getTrace", tag: "traces",
			summary: "A trace summary", pathParams: []param{pathTraceID}, response: traceView{}, handle: s.getTrace},
		{method: http.MethodGet, path: apiPrefix + "/traces/:trace_id/spans", op: "getTraceTree", tag: "traces",
			summary:    "The spans of a trace as a tree (children nested, ordered by start)",
			pathParams: []param{pathTraceID}, response: treeView{}, handle: s.traceTree},
		{method: http.MethodGet, path: apiPrefix + "/traces/:trace_id/waterfall", op: "getTraceWaterfall", tag: "traces",
			summary:    "Flat waterfall rows in tree order with depth and offset from the trace start",
			pathParams: []param{pathTraceID}, response: waterfallView{}, handle: s.traceWaterfall},
		{method: http.MethodGet, path: apiPrefix + "/traces/:trace_id/chain", op: "getTraceChain", tag: "traces",
			summary:    "The reasoning chain: steps in order with their links and anomaly flags",
			pathParams: []param{pathTraceID}, response: chainResponseView{}, handle: s.traceChain},

		{method: http.MethodGet, path: apiPrefix + "/spans", op: "querySpans", tag: "spans",
			summary: "Query spans, newest first (oldest first by sequence with after_seq)",
			query:   append(append([]param{}, spanFilters...), pSeq, pLimit, pCursor), response: spanPageView{}, handle: s.querySpans},
		{method: http.MethodGet, path: apiPrefix + "/spans/:trace_id/:span_id", op: "getSpan", tag: "spans",
			summary: "One span", pathParams: []param{pathTraceID, pathSpanID}, response: spanView{}, handle: s.getSpan},

		{method: http.MethodGet, path: apiPrefix + "/metrics/summary", op: "metricsSummary", tag: "metrics",
			summary: "Totals for a time range (default: the last 24 h) and their change against the previous period of the same length",
			query:   window, response: summaryResponseView{}, handle: s.metricsSummary},
		{method: http.MethodGet, path: apiPrefix + "/metrics/costs", op: "metricsCosts", tag: "metrics",
			summary: "Cost and tokens grouped by time bucket or dimension (default range: the last 24 h)",
			query: []param{pFrom, pTo, pProject, {name: "group_by", kind: kindEnum, def: storage.GroupDay,
				enum: []string{storage.GroupHour, storage.GroupDay, storage.GroupWeek, storage.GroupModel,
					storage.GroupProvider, storage.GroupAgent, storage.GroupType}}},
			response: costsView{}, handle: s.metricsCosts},
		{method: http.MethodGet, path: apiPrefix + "/metrics/performance", op: "metricsPerformance", tag: "metrics",
			summary: "Latency percentiles and throughput of finished spans (default range: the last 24 h)",
			query: []param{pFrom, pTo, pProject, {name: "group_by", kind: kindEnum, def: storage.GroupType,
				enum: []string{storage.GroupType, storage.GroupModel}}},
			response: performanceView{}, handle: s.metricsPerformance},
		{method: http.MethodGet, path: apiPrefix + "/metrics/errors", op: "metricsErrors", tag: "metrics",
			summary: "Error rate and the most frequent error messages (default range: the last 24 h)",
			query: []param{pFrom, pTo, pProject, {name: "limit", kind: kindInt, min: 1, max: maxTopErrors,
				def: strconv.Itoa(defaultTopErrors), desc: "number of top messages"}},
			response: errorsView{}, handle: s.metricsErrors},

		{method: http.MethodGet, path: livePath, op: "liveSpans", tag: "live",
			summary: "WebSocket stream of new spans; each text message is a liveMessage JSON object",
			query: append(append([]param{}, pProject, pSession, pTrace, pType, pModel, pStatus, pSeq),
				param{name: "api_key", kind: kindText, max: 512, desc: "API key, for browser clients that cannot set headers"}),
			stream: true, response: liveMessageView{}, handle: s.liveSpans},

		{method: http.MethodGet, path: apiPrefix + "/export/spans", op: "exportSpans", tag: "export",
			summary: "Export spans, streamed page by page",
			query:   append(append([]param{}, spanFilters...), formats, exportLimit), stream: true,
			produces: exportTypes, handle: s.exportSpans},
		{method: http.MethodGet, path: apiPrefix + "/export/traces", op: "exportTraces", tag: "export",
			summary: "Export trace summaries, streamed page by page",
			query:   append(append([]param{}, traceFilters...), formats, exportLimit), stream: true,
			produces: exportTypes, handle: s.exportTraces},
	}
}

func withPath(r route, path, op string) route {
	r.path, r.op = path, op
	return r
}

// noRoute serves the dashboard for unknown GET paths outside the API and a
// JSON 404 everywhere else.
func (s *Server) noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) && !isAPIPath(p) {
		s.serveDashboard(c)
		return
	}
	abortJSON(c, http.StatusNotFound, codeNotFound, "no endpoint "+c.Request.Method+" "+printable(p))
}

func isAPIPath(p string) bool {
	return p == "/api" || len(p) >= 5 && p[:5] == "/api/"
}
