package apiserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// injections are hostile strings; where a parameter is free text they are
// valid input (answered 200 or 404), elsewhere they are a 400.
var injections = []string{
	"' OR '1'='1",
	"'; DROP TABLE spans; --",
	`" OR ""="`,
	"1) UNION SELECT * FROM sessions --",
	"%' AND 1=1 --",
	`\'; SELECT pg_sleep(10); --`,
	"$1",
	"?",
	"<script>alert(1)</script>",
	"{{7*7}}",
	"../../../../etc/passwd",
	"a'b\"c`d",
	"☃ ünïcödé",
}

// badValues are malformed values per parameter kind; every one must be a
// 400 naming the parameter.
var badValues = map[paramKind][]string{
	kindText:     {"", "\x00", "a\x00b", "\xff\xfe", "line\nbreak", strings.Repeat("x", 5000)},
	kindTraceID:  {"", "xyz", "0123", strings.Repeat("0", 32), strings.Repeat("g", 32), strings.Repeat("a", 33), "' OR 1=1 --", "\x00"},
	kindSpanID:   {"", "xyz", strings.Repeat("0", 16), strings.Repeat("z", 16), strings.Repeat("a", 17), "' OR 1=1 --"},
	kindTime:     {"", "yesterday", "2025-13-01T00:00:00Z", "2025-01-01", "99999999999h", "9999999999999d", "1e9", "-", "3000-01-01T00:00:00Z", "1969-01-01T00:00:00Z", "' OR 1=1 --"},
	kindDuration: {"", "5 parsecs", "-1s", "1e3", "' OR 1=1 --"},
	kindInt:      {"", "-1", "1.5", "1e3", "99999999999999999999999", "abc", "' OR 1=1 --", "0x10"},
	kindFloat:    {"", "NaN", "Inf", "-Inf", "-1", "abc", "1e999", "' OR 1=1 --"},
	kindBool:     {"", "yes", "1", "TRUE ", "' OR 1=1 --"},
	kindEnum:     {"", "bogus", "'; DROP TABLE spans; --", "\x00"},
}

// TestEveryRouteRejectsBadInput walks every route of the table with
// unknown, repeated and malformed parameters, injection strings and huge
// limits, on both backends: bad input is a 400 naming the parameter, free
// text is answered, and nothing is a 500.
func TestEveryRouteRejectsBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := seededServer(t, b)
			for i := range s.srv.routes {
				r := &s.srv.routes[i]
				t.Run(r.op, func(t *testing.T) { checkRouteInput(t, s, r) })
			}
		})
	}
}

// validPath fills a route's path parameters with ids of the data set.
func validPath(r *route, override map[string]string) string {
	p := r.path
	for _, pp := range r.pathParams {
		v := map[string]string{"trace_id": trResearch, "span_id": sid(0x11), "session_id": sessAlpha}[pp.name]
		if o, ok := override[pp.name]; ok {
			v = url.PathEscape(o)
		}
		p = strings.Replace(p, ":"+pp.name, v, 1)
	}
	return p
}

func checkRouteInput(t *testing.T, s *testServer, r *route) {
	method := r.method
	if r.method == http.MethodDelete {
		// Deleting is checked with bad ids only, so the data set stays.
		for _, bad := range []string{"\x00", strings.Repeat("s", 300), "\xff"} {
			expect400(t, s, method, validPath(r, map[string]string{"session_id": bad}), "session_id")
		}
		for _, inj := range injections {
			code, _, body := s.do(method, validPath(r, map[string]string{"session_id": "nope" + inj}))
			if code != http.StatusNotFound {
				t.Errorf("DELETE session %q: %d %s", inj, code, body)
			}
		}
		return
	}
	base := validPath(r, nil)
	expect400(t, s, method, base+"?bogus=1", "bogus")
	expect400(t, s, method, base+"?"+url.QueryEscape("\x00weird")+"=1", "")
	expect400(t, s, method, base+"?a=%zz", "query string")
	for _, p := range r.query {
		expect400(t, s, method, base+"?"+p.name+"="+url.QueryEscape(validValue(p))+"&"+p.name+"="+url.QueryEscape(validValue(p)), p.name)
		for _, bad := range badValues[p.kind] {
			if p.kind == kindText && len(bad) > 0 && len(bad) <= int(max(p.max, defaultTextMax)) && isPrintable(bad) {
				continue
			}
			expect400(t, s, method, base+"?"+p.name+"="+url.QueryEscape(bad), p.name)
		}
		if p.kind == kindInt {
			expect400(t, s, method, base+"?"+p.name+"="+url.QueryEscape(itoa(p.max)+"0"), p.name)
			if p.min > 0 {
				expect400(t, s, method, base+"?"+p.name+"="+itoa(p.min-1), p.name)
			}
		}
		for _, inj := range injections {
			path := base + "?" + p.name + "=" + url.QueryEscape(inj)
			code, _, body := s.do(method, path)
			switch {
			case code >= 500:
				t.Errorf("%s %s: %d %s", method, path, code, body)
			case p.kind == kindText && p.name != "cursor" && code != http.StatusOK && code != http.StatusNotFound && r.path != livePath:
				t.Errorf("%s %s: free text answered %d %s", method, path, code, body)
			case p.kind != kindText && code != http.StatusBadRequest:
				t.Errorf("%s %s: %d, want 400", method, path, code)
			}
		}
	}
	for _, pp := range r.pathParams {
		for _, bad := range badValues[pp.kind] {
			if bad == "" || (pp.kind == kindText && len(bad) <= defaultTextMax && isPrintable(bad)) {
				continue // an empty segment is another route
			}
			expect400(t, s, method, validPath(r, map[string]string{pp.name: bad}), pp.name)
		}
		for _, inj := range injections {
			path := validPath(r, map[string]string{pp.name: inj})
			code, _, body := s.do(method, path)
			want := http.StatusBadRequest
			if pp.kind == kindText {
				want = http.StatusNotFound
			}
			if strings.Contains(inj, "/") {
				want = http.StatusNotFound // a different path altogether
			}
			if code != want {
				t.Errorf("%s %s: %d, want %d: %s", method, path, code, want, body)
			}
		}
	}
}

// validValue is an acceptable value of p, used to test repetition.
func validValue(p param) string {
	switch p.kind {
	case kindTraceID:
		return trResearch
	case kindSpanID:
		return sid(1)
	case kindTime:
		return "24h"
	case kindDuration:
		return "1s"
	case kindInt:
		return itoa(max(p.min, 1))
	case kindFloat:
		return "1"
	case kindBool:
		return "true"
	case kindEnum:
		return p.enum[0]
	}
	return "x"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// expect400 requires a 400 whose JSON error names param.
func expect400(t *testing.T, s *testServer, method, path, param string) {
	t.Helper()
	code, _, body := s.do(method, path)
	if code != http.StatusBadRequest {
		t.Errorf("%s %s: %d, want 400: %.200s", method, path, code, body)
		return
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Errorf("%s %s: error body %q", method, path, body)
		return
	}
	if !strings.Contains(e.Error.Message, param) {
		t.Errorf("%s %s: message %q does not name %q", method, path, e.Error.Message, param)
	}
}

func TestTimeParameter(t *testing.T) {
	now := testNow
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"now", now.UnixNano()},
		{"24h", now.Add(-24 * 60 * 60 * 1e9).UnixNano()},
		{"-90m", now.Add(-90 * 60 * 1e9).UnixNano()},
		{"7d", now.AddDate(0, 0, -7).UnixNano()},
		{"2w", now.AddDate(0, 0, -14).UnixNano()},
		{"2025-03-10T10:00:00Z", mon.Add(10 * 3600 * 1e9).UnixNano()},
		{"2025-03-10T11:00:00.5+01:00", mon.Add(10*3600*1e9 + 5e8).UnixNano()},
	} {
		got, err := parseTime(c.in, now)
		if err != nil || got != c.want {
			t.Errorf("parseTime(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}
