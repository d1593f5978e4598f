package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// FuzzQueryParams parses arbitrary query strings (and path ids) with the
// parameter parsers of every traces, spans, sessions, metrics and export
// endpoint: never a panic, and a refusal is a parameter error whose text is
// valid UTF-8 (it is echoed in the JSON answer).
func FuzzQueryParams(f *testing.F) {
	gin.SetMode(gin.TestMode)
	var routes []route
	for _, r := range (&Server{}).routeTable() {
		for _, prefix := range []string{"/traces", "/spans", "/sessions", "/metrics", "/export"} {
			if strings.HasPrefix(r.path, apiPrefix+prefix) {
				routes = append(routes, r)
				break
			}
		}
	}
	if len(routes) < 10 {
		f.Fatalf("found only %d routes", len(routes))
	}
	// Seeds from the hostile-input catalog and the parsers' edge cases.
	for _, q := range []string{
		"from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&limit=50",
		"from=-1h&to=now&group_by=model", "from=0001-01-01T00:00:00Z", "to=9999-12-31T23:59:59Z",
		"limit=-5", "limit=99999999999999999999", "min_cost=NaN", "min_cost=1e309", "min_duration=-1s",
		"min_duration=9999999h", "q=%00%ff%fe", "session_id=a%00b", "cursor=%ff%ff", "status=teleport",
		"type=llm_call&type=tool_execution", "format=parquet&limit=0", "from=1700000000&to=1600000000",
		"%zz=1", "a=1;b=2", strings.Repeat("q=x&", 200),
	} {
		f.Add(q, "0123456789abcdef0123456789abcdef")
	}
	f.Add("", "\x00\xff")
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, query, id string) {
		for i := range routes {
			r := &routes[i]
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
			c.Request.URL.RawQuery = query
			for _, p := range r.pathParams {
				c.Params = append(c.Params, gin.Param{Key: p.name, Value: id})
			}
			_, err := parseArgs(c, r, now)
			if err == nil {
				continue
			}
			pe, ok := err.(*paramError)
			if !ok {
				t.Fatalf("%s: %T is not a parameter error: %v", r.path, err, err)
			}
			if !utf8.ValidString(pe.Error()) {
				t.Fatalf("%s: error text is not UTF-8: %q", r.path, pe.Error())
			}
		}
	})
}
