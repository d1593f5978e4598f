package tui

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/cli/apiclient"
	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// modernc.org/sqlite and net/http keep process-wide helpers.
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

// testAPI is a real API server over a seeded SQLite store, on an address
// that survives a restart (for the reconnection test).
type testAPI struct {
	URL   string
	addr  string
	store *sqlitestore.Store
	srv   *apiserver.Server
	hs    *http.Server
	done  chan error
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "agenttrace.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	for _, b := range seed() {
		require.NoError(t, store.Write(ctx, b))
	}
	api := &testAPI{store: store}
	api.start(t, "127.0.0.1:0")
	t.Cleanup(api.stop)
	return api
}

func (a *testAPI) start(t *testing.T, addr string) {
	t.Helper()
	cfg := apiserver.DefaultConfig()
	cfg.LivePollInterval = 20 * time.Millisecond
	srv, err := apiserver.New(cfg, a.store, apiserver.WithVersion("test"))
	require.NoError(t, err)
	var ln net.Listener
	require.Eventually(t, func() bool {
		ln, err = net.Listen("tcp", addr)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "listen on %s", addr)
	a.addr, a.URL, a.srv, a.done = ln.Addr().String(), "http://"+ln.Addr().String(), srv, make(chan error, 1)
	go func() { a.done <- srv.Serve(ln) }()
}

func (a *testAPI) stop() {
	if a.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
	<-a.done
	a.srv = nil
}

func (a *testAPI) write(t *testing.T, spans ...storage.Span) {
	t.Helper()
	require.NoError(t, a.store.Write(context.Background(), storage.Batch{Spans: spans}))
}

// ui is a running UI on a simulation screen.
type ui struct {
	*UI
	sim tcell.SimulationScreen
}

func startUI(t *testing.T, api *testAPI) *ui {
	t.Helper()
	client, err := apiclient.New(api.URL, "")
	require.NoError(t, err)
	sim := tcell.NewSimulationScreen("UTF-8")
	u := New(Options{Client: client, Screen: sim, SessionRefresh: 100 * time.Millisecond})
	sim.SetSize(200, 50)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("the UI did not stop")
		}
	})
	x := &ui{UI: u, sim: sim}
	x.waitFor(t, "● live")
	return x
}

// text is the screen as lines of text. It is read on the event goroutine:
// the simulation screen's cells are written by every draw.
func (x *ui) text() string {
	var b strings.Builder
	x.update(func() {
		cells, w, h := x.sim.GetContents()
		for y := 0; y < h; y++ {
			for col := 0; col < w; col++ {
				c := cells[y*w+col]
				if len(c.Runes) == 0 || c.Runes[0] == 0 {
					b.WriteByte(' ')
					continue
				}
				b.WriteString(string(c.Runes))
			}
			b.WriteByte('\n')
		}
	})
	return b.String()
}

func (x *ui) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		screen := x.text()
		missing := ""
		for _, s := range texts {
			if !strings.Contains(screen, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q:\n%s", missing, screen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// line returns the first line of a pane (the part of a screen line between
// pane borders) containing s.
func (x *ui) line(s string) string {
	for _, l := range strings.Split(x.text(), "\n") {
		for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == '│' || r == '║' }) {
			if strings.Contains(part, s) {
				return part
			}
		}
	}
	return ""
}

func (x *ui) key(k tcell.Key) { x.sim.InjectKey(k, 0, tcell.ModNone) }

func (x *ui) runes(s string) {
	for _, r := range s {
		x.sim.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// focused waits until the focused pane is p.
func (x *ui) focused(t *testing.T, p any, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return any(x.app.GetFocus()) == p }, 5*time.Second, 10*time.Millisecond,
		"focus should be on the %s", what)
}

func TestKeysMoveBetweenPanes(t *testing.T) {
	x := startUI(t, newTestAPI(t))
	x.waitFor(t, "1 Live spans", "2 Sessions", "3 Trace", "4 Detail", "Tab next pane")
	x.focused(t, x.feed, "live spans")
	x.key(tcell.KeyTab)
	x.focused(t, x.sessions, "sessions")
	x.key(tcell.KeyTab)
	x.focused(t, x.tree, "trace tree")
	x.key(tcell.KeyTab)
	x.focused(t, x.detail, "detail")
	x.key(tcell.KeyTab)
	x.focused(t, x.feed, "live spans (wrapped around)")
	x.key(tcell.KeyBacktab)
	x.focused(t, x.detail, "detail (backwards)")
	x.runes("2")
	x.focused(t, x.sessions, "sessions (key 2)")
	x.runes("3")
	x.focused(t, x.tree, "trace tree (key 3)")
	x.runes("1")
	x.focused(t, x.feed, "live spans (key 1)")

	x.runes("?")
	x.waitFor(t, "Keys (any key closes)", "spans/s (last 10 s)")
	x.runes("z")
	require.Eventually(t, func() bool { return !strings.Contains(x.text(), "Keys (any key closes)") }, 5*time.Second, 20*time.Millisecond)

	// The filter field takes the keys while it is open.
	x.runes("/")
	x.focused(t, x.input, "filter field")
	x.runes("2")
	x.key(tcell.KeyEscape)
	x.focused(t, x.feed, "live spans after the filter closes")
}

// TestLiveFeed writes a running span and then its final version into the
// store and expects the feed to show it running, then replace it in place.
func TestLiveFeed(t *testing.T) {
	api := newTestAPI(t)
	x := startUI(t, api)
	x.waitFor(t, "plan", "observe") // the recent spans load first

	start := time.Now()
	running := span(7, 0x70, 0, canonical.TypeLLMCall, "live call", start, 0, canonical.StatusRunning)
	running.SessionID = "sess-live"
	api.write(t, running)
	x.waitFor(t, "live call")
	assert.Contains(t, x.line("live call"), "… running")

	final := llmSpan(running, "gpt-4o", canonical.Tokens{Input: 400, Output: 100}, 0.003)
	final.Status, final.EndUnixNano = canonical.StatusOK, start.Add(2500*time.Millisecond).UnixNano()
	api.write(t, final)
	require.Eventually(t, func() bool { return strings.Contains(x.line("live call"), "✓ ok") }, 10*time.Second, 20*time.Millisecond,
		"the final version replaces the running one:\n%s", x.text())
	row := x.line("live call")
	assert.Contains(t, row, "2.50s")
	assert.Contains(t, row, "500")
	assert.Contains(t, row, "$0.0030")
	assert.Equal(t, 1, strings.Count(x.text(), "live call"), "one row per span")

	// The counters count the finished span once.
	x.waitFor(t, "500 tokens/min", "$0.1800/hour")

	// The session appears in the sessions pane with its cost.
	x.waitFor(t, "sess-live")
	assert.Contains(t, x.line("sess-live"), "$0.0030")
}

// TestTraceTreeCosts opens a trace from the feed and checks the tree's
// chain and per-step costs, and the detail pane's text.
func TestTraceTreeCosts(t *testing.T) {
	x := startUI(t, newTestAPI(t))
	x.waitFor(t, "plan")
	// Filter the feed down to the plan step, then open its trace.
	x.runes("/")
	x.focused(t, x.input, "filter field")
	x.runes("type=llm_call plan")
	x.key(tcell.KeyEnter)
	x.waitFor(t, "filter: type=llm_call plan")
	require.Eventually(t, func() bool { return !strings.Contains(x.text(), "observe") }, 5*time.Second, 20*time.Millisecond,
		"the filter hides the other steps")
	x.key(tcell.KeyEnter)
	x.focused(t, x.tree, "trace tree")
	x.waitFor(t, "Trace "+tid(1))

	root := x.line("research · ✓ ok")
	assert.Contains(t, root, "12.0s")
	assert.Contains(t, root, "2,230 tok")
	assert.Contains(t, root, "$0.0165")
	assert.Contains(t, root, "⚑ loop")
	plan := x.line("✦ plan #1")
	assert.Contains(t, plan, "gpt-4o")
	assert.Contains(t, plan, "800ms")
	assert.Contains(t, plan, "1,550 tok")
	assert.Contains(t, plan, "$0.0120")
	observe := x.line("✦ observe #3")
	assert.Contains(t, observe, "claude-sonnet")
	assert.Contains(t, observe, "$0.0045")
	assert.Contains(t, observe, "⚑ loop")
	assert.Contains(t, x.line("⚒ web_search #2"), "1.50s")
	assert.Contains(t, x.line("◌ think #4"), "200ms")

	// The selected step's prompt and response, shown as text (markup in
	// them is not interpreted).
	x.waitFor(t, "── Prompt ──", "Find the [red]needle[-] in the haystack", "I will search the web")
	assert.Contains(t, x.line("cost "), "$0.0120")

	// Moving in the tree updates the detail pane.
	x.key(tcell.KeyDown)
	x.waitFor(t, "── Tool output ──", "found 3 results")
}

// TestSessionsPane checks the sessions with their cost and that Enter
// focuses the feed on a session and opens its latest trace.
func TestSessionsPane(t *testing.T) {
	x := startUI(t, newTestAPI(t))
	x.waitFor(t, "Alpha research")
	row := x.line("Alpha research")
	assert.Contains(t, row, "✓ ok")
	assert.Contains(t, row, "$0.0165")
	x.waitFor(t, "Sessions — 1, $0.0165")
	x.runes("2")
	x.focused(t, x.sessions, "sessions")
	x.key(tcell.KeyEnter)
	x.waitFor(t, "filter: session=sess-alpha", "Trace "+tid(1))
	x.focused(t, x.tree, "trace tree")
}

// TestReconnects stops the API and starts it again on the same address:
// the UI says it is reconnecting, then shows new spans again.
func TestReconnects(t *testing.T) {
	api := newTestAPI(t)
	x := startUI(t, api)
	addr := api.addr
	api.stop()
	x.waitFor(t, "reconnecting in")
	api.start(t, addr)
	x.waitFor(t, "● live")
	api.write(t, span(8, 0x80, 0, canonical.TypeTask, "after restart", time.Now(), time.Second, canonical.StatusOK))
	x.waitFor(t, "after restart")
}

func TestFilterParsing(t *testing.T) {
	f, err := parseFilter("type=LLM_CALL status=error model=gpt-4o search")
	require.NoError(t, err)
	s := &apiclient.Span{Type: "llm_call", Status: "error", Model: "gpt-4o", Name: "Web Search"}
	assert.True(t, f.match(s))
	s.Status = "ok"
	assert.False(t, f.match(s))
	_, err = parseFilter("colour=red")
	assert.ErrorContains(t, err, `unknown filter "colour"`)
	_, err = parseFilter("type=nope")
	assert.ErrorContains(t, err, `type "nope"`)
}

func TestRates(t *testing.T) {
	var r rates
	now := time.Unix(1000, 0)
	r.add(now.Add(-90*time.Second), 1000, 1) // outside the minute
	r.add(now.Add(-30*time.Second), 200, 0.01)
	for i := 0; i < 5; i++ {
		r.add(now.Add(-time.Duration(i)*time.Second), 10, 0.001)
	}
	perSec, perMin, perHour := r.snapshot(now)
	assert.InDelta(t, 0.5, perSec, 1e-9)
	assert.InDelta(t, 250, perMin, 1e-9)
	assert.InDelta(t, 0.015*60, perHour, 1e-9)
}

func TestRunNeedsClient(t *testing.T) {
	assert.ErrorContains(t, Run(context.Background(), Options{}), "no API client")
	c, err := apiclient.New("http://127.0.0.1:1", "")
	require.NoError(t, err)
	assert.ErrorContains(t, Run(context.Background(), Options{Client: c, Filter: "colour=red"}), `filter: unknown filter "colour"`)
}

// The seeded data: one session with one trace, the research chain.
func tid(n int) string { return fmt.Sprintf("%032x", n) }
func sid(n int) string { return fmt.Sprintf("%016x", n) }

func span(trace, id, parent int, typ canonical.SpanType, name string, start time.Time, dur time.Duration, st canonical.Status) storage.Span {
	var s storage.Span
	s.TraceID, s.SpanID = tid(trace), sid(id)
	if parent != 0 {
		s.ParentSpanID = sid(parent)
	}
	s.Name, s.Type, s.Status = name, typ, st
	s.StartUnixNano = start.UnixNano()
	if st != canonical.StatusRunning {
		s.EndUnixNano = start.Add(dur).UnixNano()
	}
	s.ChainStep, s.ChainDepth = -1, -1
	s.Attributes, s.Resource, s.Events = "{}", "{}", "[]"
	return s
}

func llmSpan(s storage.Span, model string, tok canonical.Tokens, usd float64) storage.Span {
	s.Model, s.Provider = model, "test"
	tok.Present = true
	s.Tokens = tok
	s.Cost = canonical.Cost{Total: usd, Input: usd / 2, Output: usd / 2, Status: canonical.CostStatusPriced, PricingEntry: "test"}
	return s
}

func chain(s storage.Span, step, depth int64, flags ...string) storage.Span {
	s.ChainStep, s.ChainDepth, s.Flags = step, depth, flags
	s.SessionID, s.AgentName = "sess-alpha", "researcher"
	return s
}

func seed() []storage.Batch {
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	root := chain(span(1, 0x10, 0, canonical.TypeAgent, "research", t0, 12*time.Second, canonical.StatusOK), 0, 0)
	plan := chain(llmSpan(span(1, 0x11, 0x10, canonical.TypeLLMCall, "plan", t0.Add(time.Second), 800*time.Millisecond, canonical.StatusOK),
		"gpt-4o", canonical.Tokens{Input: 1000, CacheRead: 200, Output: 300, Reasoning: 50}, 0.012), 1, 1)
	plan.Prompt, plan.Response = "Find the [red]needle[-] in the haystack", "I will search the web"
	tool := chain(span(1, 0x12, 0x10, canonical.TypeToolExecution, "web_search", t0.Add(2*time.Second), 1500*time.Millisecond, canonical.StatusOK), 2, 1)
	tool.ToolName, tool.ToolInput, tool.ToolOutput = "web_search", `{"q":"needle"}`, "found 3 results"
	tool.ChainRequestedBy = sid(0x11)
	observe := chain(llmSpan(span(1, 0x13, 0x10, canonical.TypeLLMCall, "observe", t0.Add(4*time.Second), 600*time.Millisecond, canonical.StatusOK),
		"claude-sonnet", canonical.Tokens{Input: 500, CacheWrite5m: 100, Output: 80}, 0.0045), 3, 1, string(canonical.FlagLoop))
	think := chain(span(1, 0x14, 0x13, canonical.TypeReasoning, "think", t0.Add(5*time.Second), 200*time.Millisecond, canonical.StatusOK), 4, 2)
	return []storage.Batch{
		{Sessions: []storage.SessionEvent{{SessionID: "sess-alpha", Start: true, Name: "Alpha research", AgentName: "researcher",
			TimeUnixNano: t0.Add(-time.Hour).UnixNano()}}, Spans: []storage.Span{root, plan, tool, observe, think}},
		{Sessions: []storage.SessionEvent{{SessionID: "sess-alpha", TimeUnixNano: t0.Add(time.Hour).UnixNano(), Status: canonical.StatusOK}}},
	}
}
