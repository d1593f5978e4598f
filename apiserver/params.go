package apiserver

import (
	"encoding/hex"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// paramKind says how a parameter is parsed, validated and documented.
type paramKind int

const (
	kindText     paramKind = iota // printable UTF-8 text up to max characters
	kindTraceID                   // 32 hex digits or a UUID, normalized to lowercase hex
	kindSpanID                    // 16 hex digits, normalized to lowercase hex
	kindTime                      // RFC 3339 time, a duration before now (24h, 7d) or "now"
	kindDuration                  // Go duration (250ms, 1.5s, 2m)
	kindInt                       // integer in [min, max]
	kindFloat                     // finite number >= 0
	kindBool                      // true or false
	kindEnum                      // one of enum (case-insensitive)
	kindProject                   // a project name (canonical.ValidProject)
)

// param declares one path or query parameter. The same declaration
// validates requests and documents the parameter in the OpenAPI document.
type param struct {
	name     string
	kind     paramKind
	desc     string
	enum     []string
	min, max int64  // kindInt bounds; kindText maximum length (default defaultTextMax)
	def      string // documented default
	required bool
}

const defaultTextMax = 256

// args holds a request's validated, normalized parameters.
type args struct {
	vals map[string]any
	// scope is the projects the request may see: its key's project,
	// narrowed by the project parameter.
	scope storage.Scope
}

func (a *args) has(name string) bool { _, ok := a.vals[name]; return ok }

// text returns a text, id or enum parameter ("" when absent).
func (a *args) text(name string) string { s, _ := a.vals[name].(string); return s }

// int returns an integer parameter, def when absent.
func (a *args) int(name string, def int64) int64 {
	if v, ok := a.vals[name].(int64); ok {
		return v
	}
	return def
}

// float returns a number parameter (0 when absent).
func (a *args) float(name string) float64 { f, _ := a.vals[name].(float64); return f }

// time returns a time parameter as Unix nanoseconds (0 when absent).
func (a *args) time(name string) int64 { t, _ := a.vals[name].(int64); return t }

// duration returns a duration parameter (0 when absent).
func (a *args) duration(name string) time.Duration { d, _ := a.vals[name].(time.Duration); return d }

// boolPtr returns a bool parameter, nil when absent.
func (a *args) boolPtr(name string) *bool {
	if b, ok := a.vals[name].(bool); ok {
		return &b
	}
	return nil
}

// parseArgs validates the path and query parameters of a request against
// its route: unknown or repeated query parameters, malformed values and
// inverted time ranges are errors naming the parameter.
func parseArgs(c *gin.Context, r *route, now time.Time) (*args, error) {
	a := &args{vals: make(map[string]any, len(r.pathParams)+len(r.query))}
	for i := range r.pathParams {
		p := &r.pathParams[i]
		v, err := p.parse(c.Param(p.name), now)
		if err != nil {
			return nil, err
		}
		a.vals[p.name] = v
	}
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, badParam("query string", "malformed: %v", err)
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := r.queryParam(name)
		if p == nil {
			return nil, badParam(printable(name), "unknown parameter; %s", r.acceptedParams())
		}
		vs := q[name]
		if len(vs) != 1 {
			return nil, badParam(name, "given %d times; give it once", len(vs))
		}
		v, err := p.parse(vs[0], now)
		if err != nil {
			return nil, err
		}
		a.vals[name] = v
	}
	for i := range r.query {
		if p := &r.query[i]; p.required && !a.has(p.name) {
			return nil, badParam(p.name, "required")
		}
	}
	if a.has("from") && a.has("to") && a.time("from") >= a.time("to") {
		return nil, badParam("from", "must be before to")
	}
	return a, nil
}

func (r *route) queryParam(name string) *param {
	for i := range r.query {
		if r.query[i].name == name {
			return &r.query[i]
		}
	}
	return nil
}

func (r *route) acceptedParams() string {
	if len(r.query) == 0 {
		return "this endpoint takes no query parameters"
	}
	names := make([]string, len(r.query))
	for i, p := range r.query {
		names[i] = p.name
	}
	return "this endpoint accepts " + strings.Join(names, ", ")
}

// parse validates one raw value and returns it normalized: string for text,
// ids and enums, int64 for ints and times (Unix nanoseconds), float64,
// time.Duration or bool.
func (p *param) parse(raw string, now time.Time) (any, error) {
	switch p.kind {
	case kindTraceID:
		id, err := canonical.ParseTraceID(raw)
		if err != nil {
			return nil, badParam(p.name, "malformed trace id: %v", err)
		}
		return hex.EncodeToString(id[:]), nil
	case kindSpanID:
		id, err := canonical.ParseSpanID(raw)
		if err != nil {
			return nil, badParam(p.name, "malformed span id: %v", err)
		}
		return hex.EncodeToString(id[:]), nil
	case kindTime:
		t, err := parseTime(raw, now)
		if err != nil {
			return nil, badParam(p.name, "%v", err)
		}
		return t, nil
	case kindDuration:
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			return nil, badParam(p.name, "want a non-negative duration such as 250ms, 1.5s or 2m")
		}
		return d, nil
	case kindInt:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < p.min || n > p.max {
			return nil, badParam(p.name, "want an integer from %d to %d", p.min, p.max)
		}
		return n, nil
	case kindFloat:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return nil, badParam(p.name, "want a non-negative number")
		}
		return f, nil
	case kindBool:
		switch raw {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, badParam(p.name, "want true or false")
	case kindProject:
		if !canonical.ValidProject(raw) {
			return nil, badParam(p.name, "want a project name: 1–%d characters of a-z, 0-9, '-', '_', '.', starting with a letter or digit",
				canonical.MaxProjectLen)
		}
		return raw, nil
	case kindEnum:
		v := strings.ToLower(raw)
		if !slices.Contains(p.enum, v) {
			return nil, badParam(p.name, "want one of %s", strings.Join(p.enum, ", "))
		}
		return v, nil
	default:
		max := p.max
		if max == 0 {
			max = defaultTextMax
		}
		if raw == "" {
			return nil, badParam(p.name, "empty")
		}
		if len(raw) > int(max) {
			return nil, badParam(p.name, "longer than %d bytes", max)
		}
		if !isPrintable(raw) {
			return nil, badParam(p.name, "must be printable UTF-8 text")
		}
		return raw, nil
	}
}

// isPrintable rejects invalid UTF-8 and control characters, which databases
// refuse (PostgreSQL rejects NUL in text) and no real name contains.
func isPrintable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// printable makes an unknown parameter's name safe to echo in a message.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	if isPrintable(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

// Times must fit in int64 Unix nanoseconds.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(0, math.MaxInt64)
)

// parseTime accepts "now", an RFC 3339 time, or a duration before now:
// a Go duration (90m, 24h) or whole days or weeks (7d, 2w).
func parseTime(raw string, now time.Time) (int64, error) {
	if raw == "now" {
		return now.UnixNano(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		if t.Before(minTime) || t.After(maxTime) {
			return 0, errTimeRange
		}
		return t.UnixNano(), nil
	}
	d, ok := parseLookback(raw)
	if !ok {
		return 0, errTimeSyntax
	}
	t := now.Add(-d)
	if t.Before(minTime) {
		return 0, errTimeRange
	}
	return t.UnixNano(), nil
}

type timeError string

func (e timeError) Error() string { return string(e) }

const (
	errTimeSyntax = timeError("want an RFC 3339 time (2025-01-02T15:04:05Z), a duration before now (30m, 24h, 7d, 2w) or now")
	errTimeRange  = timeError("time out of range (1970 to 2262)")
)

func parseLookback(raw string) (time.Duration, bool) {
	raw = strings.TrimPrefix(raw, "-")
	if n := len(raw); n > 1 && (raw[n-1] == 'd' || raw[n-1] == 'w') {
		v, err := strconv.ParseInt(raw[:n-1], 10, 64)
		unit := 24 * time.Hour
		if raw[n-1] == 'w' {
			unit *= 7
		}
		if err != nil || v < 0 || v > int64(math.MaxInt64/unit) {
			return 0, false
		}
		return time.Duration(v) * unit, true
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

// Parameter declarations shared by the routes.
var (
	pFrom = param{name: "from", kind: kindTime,
		desc: "start of the time range (inclusive): RFC 3339, a duration before now (30m, 24h, 7d, 2w) or now"}
	pTo = param{name: "to", kind: kindTime,
		desc: "end of the time range (exclusive), same forms as from"}
	pLimit = param{name: "limit", kind: kindInt, min: 1, max: storage.MaxLimit,
		def: strconv.Itoa(storage.DefaultLimit), desc: "page size"}
	pCursor = param{name: "cursor", kind: kindText, max: 2048,
		desc: "next_cursor of the previous page"}
	pSession = param{name: "session", kind: kindText, desc: "session id"}
	pProject = param{name: "project", kind: kindProject, max: canonical.MaxProjectLen,
		desc: "only this project's data (a key bound to one project may only name its own)"}
	pAgent  = param{name: "agent", kind: kindText, desc: "agent name"}
	pModel  = param{name: "model", kind: kindText, desc: "model name (exact)"}
	pStatus = param{name: "status", kind: kindEnum, enum: statusNames(), desc: "status"}
	pType   = param{name: "type", kind: kindEnum, enum: spanTypeNames(), desc: "span type"}
	pTrace  = param{name: "trace", kind: kindTraceID, desc: "trace id (32 hex digits or a UUID)"}
	pSeq    = param{name: "after_seq", kind: kindInt, min: 0, max: math.MaxInt64,
		desc: "only spans stored after this sequence number (oldest first)"}

	pathTraceID   = param{name: "trace_id", kind: kindTraceID, desc: "trace id (32 hex digits or a UUID)"}
	pathSpanID    = param{name: "span_id", kind: kindSpanID, desc: "span id (16 hex digits)"}
	pathSessionID = param{name: "session_id", kind: kindText, desc: "session id"}
)

func statusNames() []string {
	out := make([]string, len(canonical.Statuses))
	for i, s := range canonical.Statuses {
		out[i] = string(s)
	}
	return out
}

func spanTypeNames() []string {
	out := make([]string, len(canonical.SpanTypes))
	for i, t := range canonical.SpanTypes {
		out[i] = string(t)
	}
	return out
}
