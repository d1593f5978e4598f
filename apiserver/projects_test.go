package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agenttrace/agenttrace/internal/apikey"
	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Projects of the isolation test. B reuses every trace, span and session
// id of A's data set and adds ids of its own; every text of B carries
// bMarker, so a response that leaks B shows it.
const (
	projA   = "proj-a"
	projB   = "proj-b"
	bMarker = "bsecret"

	keyAReadSecret  = "key-a-read-0123456789"
	keyAAdminSecret = "key-a-admin-0123456789"
	keyBReadSecret  = "key-b-read-0123456789"
	keyAllSecret    = "key-all-read-0123456789"

	bOnlySession = "sess-b-only"
)

var (
	bOnlyTrace = tid(99)
	bOnlySpan  = sid(0x990)
	bExtraSpan = sid(0x19) // B's extra span in the trace id A also uses
)

func inProj(p string, batches []storage.Batch) []storage.Batch {
	for i := range batches {
		for j := range batches[i].Spans {
			batches[i].Spans[j].Project = p
		}
		for j := range batches[i].Sessions {
			batches[i].Sessions[j].Project = p
		}
	}
	return batches
}

// projectBBatches is the seeded data set again as project B, every name
// and model marked, plus spans and a session only B has.
func projectBBatches() []storage.Batch {
	bs := seedBatches()
	for i := range bs {
		for j := range bs[i].Spans {
			sp := &bs[i].Spans[j]
			sp.Name = bMarker + " " + sp.Name
			sp.Prompt = bMarker
			if sp.Model != "" {
				sp.Model = bMarker + "-model"
			}
			if sp.AgentName != "" {
				sp.AgentName = bMarker + "-agent"
			}
			if sp.StatusMessage != "" {
				sp.StatusMessage = bMarker + " " + sp.StatusMessage
			}
		}
		for j := range bs[i].Sessions {
			bs[i].Sessions[j].Name = bMarker + " session"
		}
	}
	extra := inSession(span(1, 0x19, 0x10, canonical.TypeLLMCall, bMarker+" extra", at(mon, "10h0m3s"), time.Second, canonical.StatusOK), sessAlpha, bMarker+"-agent")
	only := inSession(span(99, 0x990, 0, canonical.TypeAgent, bMarker+" only", at(mon, "12h"), time.Second, canonical.StatusError), bOnlySession, bMarker+"-agent")
	only.StatusMessage = bMarker + " failure"
	bs = append(bs, storage.Batch{
		Sessions: []storage.SessionEvent{{SessionID: bOnlySession, Start: true, Name: bMarker, TimeUnixNano: at(mon, "12h").UnixNano()}},
		Spans:    []storage.Span{extra, only},
	})
	return inProj(projB, bs)
}

func projectKeys() []apikey.Key {
	return []apikey.Key{
		{Secret: keyAReadSecret, Project: projA, Role: apikey.RoleRead},
		{Secret: keyAAdminSecret, Project: projA, Role: apikey.RoleAdmin},
		{Secret: keyBReadSecret, Project: projB, Role: apikey.RoleRead},
		{Secret: keyAllSecret, Project: apikey.AllProjects, Role: apikey.RoleRead},
	}
}

// pathValues are the values tried for each path parameter: ids A and B
// share, and ids only B has (which A must not be able to tell from ids
// nobody has).
var pathValues = map[string][][2]string{
	// {trace_id, span_id} or {session_id}
	"trace": {{trResearch, sid(0x11)}, {trResearch, bExtraSpan}, {bOnlyTrace, bOnlySpan}, {tid(12345), sid(12345)}},
	"sess":  {{sessAlpha}, {bOnlySession}, {"sess-nobody"}},
}

func fillPath(t *testing.T, r *route, v [2]string) string {
	t.Helper()
	p := r.path
	for _, pp := range r.pathParams {
		switch pp.name {
		case "trace_id":
			p = strings.Replace(p, ":trace_id", v[0], 1)
		case "span_id":
			p = strings.Replace(p, ":span_id", v[1], 1)
		case "session_id":
			p = strings.Replace(p, ":session_id", v[0], 1)
		default:
			t.Fatalf("route %s: no isolation test values for path parameter %s; add them to pathValues", r.path, pp.name)
		}
	}
	return p
}

func routeVariants(t *testing.T, r *route) []string {
	t.Helper()
	if len(r.pathParams) == 0 {
		return []string{r.path}
	}
	kind := "trace"
	if r.pathParams[0].name == "session_id" {
		kind = "sess"
	}
	var out []string
	for _, v := range pathValues[kind] {
		out = append(out, fillPath(t, r, v))
	}
	return out
}

// TestProjectIsolationEveryRoute seeds projects A and B with colliding ids
// on each real backend and calls every route of the route table with A's
// read and admin keys: each answer must equal the answer of a server whose
// store holds only A's data (so nothing of B is returned, and B's ids are
// as unknown as ids nobody has), naming project B is refused, deletes
// leave B alone, and the live stream carries only A's spans. A route added
// to the table is covered (or fails here) without changing this test.
func TestProjectIsolationEveryRoute(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			both, onlyA := b.open(t), b.open(t)
			for _, batch := range inProj(projA, seedBatches()) {
				if err := both.Write(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
				if err := onlyA.Write(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
			}
			for _, batch := range projectBBatches() {
				if err := both.Write(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
			}
			cfg := DefaultConfig()
			cfg.Keys = projectKeys()
			s := newTestServer(t, both, cfg)
			ref := newTestServer(t, onlyA, DefaultConfig())

			checked := 0
			// Deletes and the live stream change the data: they run last.
			var last []func()
			for i := range s.srv.routes {
				r := &s.srv.routes[i]
				switch {
				case r.public:
					if len(r.pathParams)+len(r.query) > 0 {
						t.Errorf("public route %s takes parameters; is it scoped?", r.path)
					}
					continue
				case r.path == livePath:
					last = append(last, func() { checkLiveIsolation(t, s, both) })
					checked++
					continue
				case r.method == http.MethodDelete:
					last = append(last, func() { checkDeleteIsolation(t, s, ref, r) })
					checked++
					continue
				case r.method != http.MethodGet:
					t.Fatalf("route %s %s: the isolation test knows GET and DELETE only", r.method, r.path)
				}
				_, hasProject := paramIndex(r, "project")
				for _, path := range routeVariants(t, r) {
					wantCode, _, wantBody := ref.do(http.MethodGet, path)
					for _, key := range []string{keyAReadSecret, keyAAdminSecret} {
						code, _, body := s.do(http.MethodGet, path, "X-API-Key: "+key)
						if code != wantCode || !bytes.Equal(body, wantBody) {
							t.Errorf("%s with A's key: %d %.300s\nwant (A's data alone) %d %.300s", path, code, body, wantCode, wantBody)
						}
						if bytes.Contains(body, []byte(bMarker)) || bytes.Contains(body, []byte(projB)) {
							t.Errorf("%s with A's key leaks project B: %.300s", path, body)
						}
						if hasProject {
							sep := "?"
							if strings.Contains(path, "?") {
								sep = "&"
							}
							code, _, body = s.do(http.MethodGet, path+sep+"project="+projB, "X-API-Key: "+key)
							if code != http.StatusForbidden || bytes.Contains(body, []byte(bMarker)) {
								t.Errorf("%s?project=%s with A's key: %d %.300s, want 403", path, projB, code, body)
							}
							code, _, body = s.do(http.MethodGet, path+sep+"project="+projA, "X-API-Key: "+key)
							if code != wantCode || !bytes.Equal(body, wantBody) {
								t.Errorf("%s?project=%s with A's key: %d, differs from A alone", path, projA, code)
							}
						}
					}
					checked++
				}
			}
			if checked < 20 {
				t.Errorf("checked only %d route variants", checked)
			}

			// The positive side: B's key and an all-projects key see B.
			var page tracePage
			s.getJSON("/api/v1/traces?limit=1000", http.StatusOK, &page, "X-API-Key: "+keyBReadSecret)
			if len(page.Items) != len(seededTraceIDs())+1 {
				t.Errorf("B's key sees %d traces, want %d", len(page.Items), len(seededTraceIDs())+1)
			}
			for _, tr := range page.Items {
				if tr.Project != projB {
					t.Errorf("B's key sees a trace of project %q", tr.Project)
				}
			}
			code, _, body := s.do(http.MethodGet, "/api/v1/traces/"+bOnlyTrace, "X-API-Key: "+keyBReadSecret)
			if code != http.StatusOK || !bytes.Contains(body, []byte(bMarker)) {
				t.Errorf("B's key on its own trace: %d %.200s", code, body)
			}
			s.getJSON("/api/v1/traces?limit=1000", http.StatusOK, &page, "X-API-Key: "+keyAllSecret)
			if len(page.Items) != 2*len(seededTraceIDs())+1 {
				t.Errorf("the all-projects key sees %d traces, want %d", len(page.Items), 2*len(seededTraceIDs())+1)
			}
			s.getJSON("/api/v1/traces?limit=1000&project="+projB, http.StatusOK, &page, "X-API-Key: "+keyAllSecret)
			if len(page.Items) != len(seededTraceIDs())+1 {
				t.Errorf("the all-projects key with project=%s sees %d traces", projB, len(page.Items))
			}
			for _, f := range last {
				f()
			}
		})
	}
}

func paramIndex(r *route, name string) (int, bool) {
	for i, p := range r.query {
		if p.name == name {
			return i, true
		}
	}
	return -1, false
}

func seededTraceIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range seedBatches() {
		for _, sp := range b.Spans {
			if !seen[sp.TraceID] {
				seen[sp.TraceID] = true
				out = append(out, sp.TraceID)
			}
		}
	}
	return out
}

// checkDeleteIsolation: A's admin key cannot delete B's session (404, like
// a session nobody has), and deleting A's session of the same id leaves
// B's whole. A's read key may not delete at all.
func checkDeleteIsolation(t *testing.T, s, ref *testServer, r *route) {
	t.Helper()
	path := func(id string) string { return fillPath(t, r, [2]string{id}) }
	_, _, nobody := ref.do(http.MethodDelete, path(bOnlySession))
	code, _, body := s.do(http.MethodDelete, path(bOnlySession), "X-API-Key: "+keyAAdminSecret)
	if code != http.StatusNotFound || !bytes.Equal(body, nobody) {
		t.Errorf("A's admin key deleting B's session: %d %s, want 404 %s", code, body, nobody)
	}
	if code, _, _ := s.do(http.MethodDelete, path(sessAlpha), "X-API-Key: "+keyAReadSecret); code != http.StatusForbidden {
		t.Errorf("A's read key deleting: %d, want 403", code)
	}
	if code, _, body := s.do(http.MethodDelete, path(sessAlpha), "X-API-Key: "+keyAAdminSecret); code != http.StatusOK {
		t.Errorf("A's admin key deleting A's session: %d %s", code, body)
	}
	// B still has both sessions, with every trace.
	for _, id := range []string{sessAlpha, bOnlySession} {
		var sess sessionView
		s.getJSON("/api/v1/sessions/"+id, http.StatusOK, &sess, "X-API-Key: "+keyBReadSecret)
		if sess.Project != projB {
			t.Errorf("session %s: project %q", id, sess.Project)
		}
	}
	if code, _, body := s.do(http.MethodGet, "/api/v1/traces/"+trResearch+"/spans", "X-API-Key: "+keyBReadSecret); code != http.StatusOK || !bytes.Contains(body, []byte(bMarker+" extra")) {
		t.Errorf("B's trace after A's delete: %d %.200s", code, body)
	}
	if code, _, _ := s.do(http.MethodGet, "/api/v1/sessions/"+sessAlpha, "X-API-Key: "+keyAReadSecret); code != http.StatusNotFound {
		t.Errorf("A's session after its delete: %d, want 404", code)
	}
}

// checkLiveIsolation: a live subscriber with A's key gets A's new spans and
// none of B's, even with the same ids; naming project B is refused.
func checkLiveIsolation(t *testing.T, s *testServer, st storage.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.ts.URL, "http") + livePath
	_, resp, err := websocket.Dial(ctx, url+"?project="+projB, &websocket.DialOptions{
		HTTPHeader: http.Header{"X-Api-Key": {keyAReadSecret}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("live with A's key and project=%s: %v %v, want 403", projB, err, resp)
	}
	conn := dialLive(t, s, "?api_key="+keyAReadSecret, nil)
	waitFollowing()
	bSpan := span(7, 0x70, 0, canonical.TypeAgent, bMarker+" live", at(tue, "10h"), time.Second, canonical.StatusOK)
	bSpan.Project = projB
	aSpan := span(7, 0x70, 0, canonical.TypeAgent, "a live", at(tue, "10h"), time.Second, canonical.StatusOK)
	aSpan.Project = projA
	for _, sp := range []storage.Span{bSpan, aSpan} {
		if err := st.Write(ctx, storage.Batch{Spans: []storage.Span{sp}}); err != nil {
			t.Fatal(err)
		}
	}
	msg := readLive(t, conn)
	if len(msg.Spans) != 1 || msg.Spans[0].Name != "a live" || msg.Spans[0].Project != projA {
		t.Errorf("live with A's key got %+v, want only A's span", msg.Spans)
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

// The project parameter is validated (400 naming it) and, without keys,
// filters every list to one project.
func TestProjectParameter(t *testing.T) {
	st := openSQLite(t)
	for _, batch := range inProj(projA, seedBatches()) {
		if err := st.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	for _, batch := range projectBBatches() {
		if err := st.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestServer(t, st, DefaultConfig())
	for _, bad := range []string{"Proj-A", "-a", "a%20b", strings.Repeat("a", 65)} {
		code, _, body := s.do(http.MethodGet, "/api/v1/traces?project="+bad)
		var e errorBody
		if code != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error.Code != codeInvalidParameter ||
			!strings.Contains(e.Error.Message, "project") {
			t.Errorf("project=%s: %d %s, want 400 naming the parameter", bad, code, body)
		}
	}
	var page tracePage
	s.getJSON("/api/v1/traces?limit=1000", http.StatusOK, &page)
	if len(page.Items) != 2*len(seededTraceIDs())+1 {
		t.Errorf("without a filter: %d traces", len(page.Items))
	}
	s.getJSON("/api/v1/traces?limit=1000&project="+projA, http.StatusOK, &page)
	if len(page.Items) != len(seededTraceIDs()) {
		t.Errorf("project=%s: %d traces", projA, len(page.Items))
	}
	for _, tr := range page.Items {
		if tr.Project != projA {
			t.Errorf("project=%s returned a trace of %q", projA, tr.Project)
		}
	}
	var sum summaryResponseView
	s.getJSON("/api/v1/metrics/summary?from=30d&project=nobody", http.StatusOK, &sum)
	if sum.Current.Spans != 0 {
		t.Errorf("project=nobody: %d spans", sum.Current.Spans)
	}
}
