// Package tui is `agenttrace tui`, a live terminal view of agents built on
// tview: a feed of spans as they start and finish (running spans are shown
// as running and replaced by their final version), the sessions with their
// running cost, the selected trace as a tree with the cost of every step,
// the selected span's prompt and response, and live counters (spans/s,
// tokens/min, $/hour).
//
// It reads only the API: REST for sessions, traces and the recent spans,
// the WebSocket live stream for new spans, reconnecting by itself. All
// widget state is changed on tview's event goroutine; background goroutines
// fetch and hand results over with update.
package tui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

// Options configure the UI.
type Options struct {
	// Client reads the API.
	Client *apiclient.Client
	// Filter is the feed's initial filter (see the help screen).
	Filter string
	// Screen replaces the terminal (tests use tcell's simulation screen).
	Screen tcell.Screen
	// SessionRefresh is how often the sessions pane is reloaded (default 2s).
	SessionRefresh time.Duration
	// Now replaces time.Now for the counters.
	Now func() time.Time
}

// maxFeed bounds the live feed; older spans scroll out.
const maxFeed = 1000

// Run shows the UI until the user quits or ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Client == nil {
		return errors.New("tui: no API client")
	}
	if _, err := parseFilter(opts.Filter); err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	return New(opts).Run(ctx)
}

// UI is the terminal UI. Create it with New and start it with Run.
type UI struct {
	opts   Options
	client *apiclient.Client
	app    *tview.Application

	feed     *tview.Table
	sessions *tview.Table
	tree     *tview.TreeView
	detail   *tview.TextView
	status   *tview.TextView
	helpBar  *tview.TextView
	input    *tview.InputField
	bottom   *tview.Pages
	pages    *tview.Pages
	panes    []*pane

	// Event-goroutine state.
	spans        []*apiclient.Span // the feed, newest first
	paused       bool
	held         []apiclient.Span // spans that arrived while paused
	filter       filter
	filterErr    string
	connected    bool
	connMsg      string
	seen         int64
	rates        rates
	sessionList  []apiclient.Session
	sessionsErr  string
	traceID      string // the trace in the tree
	traceLoad    int    // increments per load, to drop stale answers
	traceReload  bool   // a reload of the tree is scheduled
	focusedIndex int

	// Background work: update refuses new UI updates once stopped, so no
	// goroutine waits on an event loop that has ended.
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.RWMutex
	stopped bool
	wg      sync.WaitGroup
	started sync.Once
	refresh chan struct{}
}

// pane is a focusable box with its title and key.
type pane struct {
	box   *tview.Box
	prim  tview.Primitive
	title string
	key   rune
}

// New builds the UI; nothing runs until Run.
func New(opts Options) *UI {
	if opts.SessionRefresh <= 0 {
		opts.SessionRefresh = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	u := &UI{opts: opts, client: opts.Client, app: tview.NewApplication(), refresh: make(chan struct{}, 1)}
	if opts.Screen != nil {
		u.app.SetScreen(opts.Screen)
	}
	u.filter, _ = parseFilter(opts.Filter)
	u.build()
	return u
}

func (u *UI) build() {
	u.feed = tview.NewTable().SetSelectable(true, false).SetFixed(1, 0)
	u.feed.SetSelectionChangedFunc(func(row, _ int) { u.showSpanAt(row) })
	u.feed.SetSelectedFunc(func(row, _ int) { u.openSpanAt(row) })

	u.sessions = tview.NewTable().SetSelectable(true, false).SetFixed(1, 0)
	u.sessions.SetSelectedFunc(func(row, _ int) { u.openSessionAt(row) })

	u.tree = tview.NewTreeView().SetGraphics(true)
	u.tree.SetRoot(tview.NewTreeNode("Select a span (Enter) or a session to see its trace").SetSelectable(false))
	u.tree.SetChangedFunc(func(n *tview.TreeNode) { u.showNode(n) })
	u.tree.SetSelectedFunc(func(n *tview.TreeNode) { u.showNode(n) })

	u.detail = tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true)
	u.detail.SetText("[gray]The selected span's prompt, response, tokens and cost appear here.[-]")

	u.status = tview.NewTextView().SetDynamicColors(true)
	u.helpBar = tview.NewTextView().SetDynamicColors(true).SetText(helpLine)
	u.input = tview.NewInputField().SetLabel("filter: ").SetFieldWidth(0)
	u.input.SetDoneFunc(u.filterDone)
	u.bottom = tview.NewPages().AddPage("help", u.helpBar, true, true).AddPage("filter", u.input, true, false)

	u.panes = []*pane{
		{box: u.feed.Box, prim: u.feed, title: "Live spans", key: '1'},
		{box: u.sessions.Box, prim: u.sessions, title: "Sessions", key: '2'},
		{box: u.tree.Box, prim: u.tree, title: "Trace", key: '3'},
		{box: u.detail.Box, prim: u.detail, title: "Detail", key: '4'},
	}
	for _, p := range u.panes {
		p.box.SetBorder(true)
	}
	top := tview.NewFlex().AddItem(u.feed, 0, 3, true).AddItem(u.sessions, 0, 2, false)
	lower := tview.NewFlex().AddItem(u.tree, 0, 3, false).AddItem(u.detail, 0, 2, false)
	main := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(u.status, 1, 0, false).
		AddItem(top, 0, 1, true).
		AddItem(lower, 0, 1, false).
		AddItem(u.bottom, 1, 0, false)
	help := tview.NewTextView().SetDynamicColors(true).SetText(helpText)
	help.SetBorder(true).SetTitle(" Keys (any key closes) ")
	u.pages = tview.NewPages().AddPage("main", main, true, true).
		AddPage("help", center(help, 76, 26), true, false)
	u.app.SetRoot(u.pages, true).SetFocus(u.feed)
	u.app.SetInputCapture(u.onKey)
	u.app.SetAfterDrawFunc(func(tcell.Screen) { u.started.Do(u.startBackground) })
	u.renderFeed()
	u.renderSessions()
	u.renderStatus()
	u.setFocus(0)
}

func center(p tview.Primitive, w, h int) tview.Primitive {
	return tview.NewFlex().AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).AddItem(nil, 0, 1, false).AddItem(p, h, 0, true).AddItem(nil, 0, 1, false), w, 0, true).
		AddItem(nil, 0, 1, false)
}

const helpLine = "[yellow]Tab[-] next pane  [yellow]1-4[-] jump  [yellow]↑↓[-] move  [yellow]Enter[-] open trace  " +
	"[yellow]/[-] filter  [yellow]x[-] clear filter  [yellow]p[-] pause  [yellow]r[-] refresh  [yellow]?[-] help  [yellow]q[-] quit"

const helpText = `[yellow]Panes[-]
  Tab / Shift-Tab   next / previous pane
  1 2 3 4           live spans, sessions, trace tree, detail

[yellow]Moving[-]
  ↑ ↓  j k          move in the list or tree
  PgUp PgDn  g G    page, first, last

[yellow]Actions[-]
  Enter             live spans: open the span's trace in the tree
                    sessions: show only that session and open its latest trace
                    tree: show the step in the detail pane
  /                 filter the live spans: type=llm_call status=error
                    model=… session=… trace=… agent=… and plain words
                    (matched in names, models and tools); Esc cancels
  x                 clear the filter
  p or space        pause / resume the live feed (counters keep running)
  r                 reload sessions and the trace
  q or Ctrl-C       quit

[yellow]Counters[-]  over the last minute of finished spans:
  spans/s (last 10 s), tokens/min, $/hour (cost of the last minute × 60)`

// Run shows the UI until the user quits or ctx ends.
func (u *UI) Run(ctx context.Context) error {
	u.ctx, u.cancel = context.WithCancel(ctx)
	defer u.cancel()
	go func() {
		<-u.ctx.Done()
		u.stop()
	}()
	err := u.app.Run()
	u.cancel()
	u.wg.Wait()
	return err
}

// stop ends the event loop after the updates in flight have run. It must
// not run on the event goroutine.
func (u *UI) stop() {
	u.mu.Lock()
	already := u.stopped
	u.stopped = true
	u.mu.Unlock()
	if !already {
		u.app.Stop()
	}
}

// quit is stop for key handlers (which run on the event goroutine).
func (u *UI) quit() { go u.cancel() }

// update runs f on the event goroutine and redraws; it returns false once
// the UI is stopping.
func (u *UI) update(f func()) bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.stopped {
		return false
	}
	u.app.QueueUpdateDraw(f)
	return true
}

// startBackground starts the live stream, the sessions poller and the
// counters' clock after the first draw, when the event loop runs.
func (u *UI) startBackground() {
	u.wg.Add(3)
	go func() { defer u.wg.Done(); u.followLive() }()
	go func() { defer u.wg.Done(); u.pollSessions() }()
	go func() { defer u.wg.Done(); u.tick() }()
}

func (u *UI) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-t.C:
			if !u.update(u.renderStatus) {
				return
			}
		}
	}
}

// followLive loads the recent spans, then follows the live stream from
// there, reconnecting with backoff.
func (u *UI) followLive() {
	var after int64
	for u.ctx.Err() == nil {
		list, err := u.client.Spans(u.ctx, url.Values{}, 100)
		if err == nil {
			for _, s := range list.Items {
				after = max(after, s.Seq)
			}
			items := list.Items
			u.update(func() { u.addSpans(reverse(items), false) })
			break
		}
		if !u.update(func() { u.setConnection(false, err, 2*time.Second) }) {
			return
		}
		select {
		case <-u.ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
	opts := apiclient.FollowOptions{
		AfterSeq: after,
		OnState: func(connected bool, err error, retry time.Duration) {
			u.update(func() { u.setConnection(connected, err, retry) })
		},
	}
	err := u.client.Follow(u.ctx, apiclient.LiveFilter{}, opts, func(spans []apiclient.Span) error {
		if !u.update(func() { u.addSpans(spans, true) }) {
			return context.Canceled
		}
		return nil
	})
	if err != nil && u.ctx.Err() == nil {
		u.update(func() { u.setConnection(false, err, 0) })
	}
}

func reverse(s []apiclient.Span) []apiclient.Span {
	out := make([]apiclient.Span, len(s))
	for i := range s {
		out[len(s)-1-i] = s[i]
	}
	return out
}

func (u *UI) setConnection(connected bool, err error, retry time.Duration) {
	u.connected = connected
	switch {
	case connected:
		u.connMsg = ""
	case err != nil && retry > 0:
		u.connMsg = fmt.Sprintf("reconnecting in %s: %s", retry.Round(100*time.Millisecond), shortError(err))
	case err != nil:
		u.connMsg = shortError(err)
	}
	u.renderStatus()
}

func shortError(err error) string {
	var ue *apiclient.UnreachableError
	if errors.As(err, &ue) {
		return "API unreachable at " + ue.URL
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// pollSessions reloads the sessions pane periodically and on demand.
func (u *UI) pollSessions() {
	t := time.NewTicker(u.opts.SessionRefresh)
	defer t.Stop()
	for {
		list, err := u.client.Sessions(u.ctx, nil, 50)
		if u.ctx.Err() != nil {
			return
		}
		if !u.update(func() {
			if err != nil {
				u.sessionsErr = shortError(err)
			} else {
				u.sessionsErr, u.sessionList = "", list.Items
			}
			u.renderSessions()
		}) {
			return
		}
		select {
		case <-u.ctx.Done():
			return
		case <-t.C:
		case <-u.refresh:
		}
	}
}

// requestSessions asks the poller for a reload now.
func (u *UI) requestSessions() {
	select {
	case u.refresh <- struct{}{}:
	default:
	}
}

// addSpans puts spans into the feed: a span already there (its running
// version) is replaced in place, a new one goes on top.
func (u *UI) addSpans(spans []apiclient.Span, live bool) {
	if u.paused && live {
		u.held = append(u.held, spans...)
		u.countSpans(spans)
		u.renderStatus()
		return
	}
	if live {
		u.countSpans(spans)
	}
	index := make(map[string]int, len(u.spans))
	for i, s := range u.spans {
		index[s.TraceID+s.SpanID] = i
	}
	touchesTrace := false
	for i := range spans {
		s := spans[i]
		if s.TraceID == u.traceID {
			touchesTrace = true
		}
		if at, ok := index[s.TraceID+s.SpanID]; ok {
			// A late "running" copy never replaces a finished span.
			if !(s.Status == "running" && u.spans[at].Status != "running") {
				u.spans[at] = &s
			}
			continue
		}
		u.spans = append([]*apiclient.Span{&s}, u.spans...)
		for k := range index {
			index[k]++
		}
		index[s.TraceID+s.SpanID] = 0
	}
	if len(u.spans) > maxFeed {
		u.spans = u.spans[:maxFeed]
	}
	u.renderFeed()
	u.renderStatus()
	if live {
		u.requestSessions()
	}
	if touchesTrace {
		u.scheduleTraceReload()
	}
}

func (u *UI) countSpans(spans []apiclient.Span) {
	now := u.opts.Now()
	for i := range spans {
		s := &spans[i]
		u.seen++
		if s.Status == "running" {
			continue
		}
		var tokens int64
		if s.Tokens != nil {
			tokens = s.Tokens.Total
		}
		var cost float64
		if s.CostUSD != nil {
			cost = *s.CostUSD
		}
		u.rates.add(now, tokens, cost)
	}
}

// visibleSpans is the feed after the filter.
func (u *UI) visibleSpans() []*apiclient.Span {
	if u.filter.empty() {
		return u.spans
	}
	out := make([]*apiclient.Span, 0, len(u.spans))
	for _, s := range u.spans {
		if u.filter.match(s) {
			out = append(out, s)
		}
	}
	return out
}

var feedHeader = []string{"TIME", "STATUS", "TYPE", "NAME", "MODEL/TOOL", "DURATION", "TOKENS", "COST", "SESSION"}

func (u *UI) renderFeed() {
	// Keep the selected span selected as rows move.
	selKey := ""
	if row, _ := u.feed.GetSelection(); row > 0 {
		if ref, ok := u.feed.GetCell(row, 0).GetReference().(*apiclient.Span); ok {
			selKey = ref.TraceID + ref.SpanID
		}
	}
	u.feed.Clear()
	header(u.feed, feedHeader, map[int]bool{5: true, 6: true, 7: true})
	selRow := 1
	for i, s := range u.visibleSpans() {
		row := i + 1
		color := statusColor(s.Status)
		tokens := "-"
		if s.Tokens != nil {
			tokens = d.Int(s.Tokens.Total)
		}
		cells := []string{time.Unix(0, s.StartUnixNano).Local().Format("15:04:05"), d.StatusIcon(s.Status) + " " + s.Status,
			d.TypeIcon(s.Type) + " " + s.Type, s.Name, modelOrTool(s), d.SpanDuration(s.Status, s.DurationNanos), tokens,
			d.SpanCost(s.CostUSD, s.Cost.Status), s.SessionID}
		for c, text := range cells {
			right := c >= 5 && c <= 7
			cell := tview.NewTableCell(pad(tview.Escape(truncate(oneLine(text), maxWidth(c)))))
			if c == 1 {
				cell.SetTextColor(color)
			}
			if right {
				cell.SetAlign(tview.AlignRight)
			}
			if c == 0 {
				cell.SetReference(s)
			}
			u.feed.SetCell(row, c, cell)
		}
		if s.TraceID+s.SpanID == selKey {
			selRow = row
		}
	}
	title := "Live spans"
	if !u.filter.empty() {
		title += " — filter: " + u.filter.raw
	}
	if u.paused {
		title += fmt.Sprintf(" — PAUSED (%d waiting)", len(u.held))
	}
	u.panes[0].title = title
	u.refreshTitles()
	if u.feed.GetRowCount() > 1 {
		u.feed.Select(selRow, 0)
	}
}

// pad widens the gap between table columns to two cells.
func pad(s string) string { return s + " " }

// truncate cuts s to n characters with "…" (0: no limit).
func truncate(s string, n int) string {
	r := []rune(s)
	if n <= 0 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func maxWidth(col int) int {
	switch col {
	case 3:
		return 32
	case 4, 8:
		return 20
	}
	return 0
}

func header(t *tview.Table, names []string, right map[int]bool) {
	for i, n := range names {
		c := tview.NewTableCell(pad(n)).SetSelectable(false).SetTextColor(tcell.ColorYellow).SetAttributes(tcell.AttrBold)
		if right[i] {
			c.SetAlign(tview.AlignRight)
		}
		t.SetCell(0, i, c)
	}
}

func statusColor(status string) tcell.Color {
	switch status {
	case "ok":
		return tcell.ColorGreen
	case "running":
		return tcell.ColorYellow
	case "error", "timeout":
		return tcell.ColorRed
	}
	return tcell.ColorGray
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func modelOrTool(s *apiclient.Span) string {
	switch {
	case s.Model != "":
		return s.Model
	case s.Tool != nil && s.Tool.Name != "":
		return s.Tool.Name
	case s.File != nil:
		return s.File.Path
	}
	return ""
}

var sessionHeader = []string{"SESSION", "AGENT", "STATUS", "TRACES", "TOKENS", "COST"}

func (u *UI) renderSessions() {
	selID := ""
	if row, _ := u.sessions.GetSelection(); row > 0 {
		if ref, ok := u.sessions.GetCell(row, 0).GetReference().(string); ok {
			selID = ref
		}
	}
	u.sessions.Clear()
	header(u.sessions, sessionHeader, map[int]bool{3: true, 4: true, 5: true})
	selRow := 1
	var total float64
	for i, s := range u.sessionList {
		row := i + 1
		name := s.SessionID
		if s.Name != "" {
			name = s.Name
		}
		status := "● active"
		color := tcell.ColorYellow
		if !s.Active {
			status, color = d.StatusIcon(s.Status)+" "+s.Status, statusColor(s.Status)
		}
		cells := []string{name, d.Dash(s.AgentName), status, d.Int(s.TraceCount), d.Int(s.Tokens.Total), d.Cost(s.CostUSD)}
		for c, text := range cells {
			text = oneLine(text)
			switch c {
			case 0:
				text = truncate(text, 28)
			case 1:
				text = truncate(text, 16)
			}
			cell := tview.NewTableCell(pad(tview.Escape(text)))
			switch c {
			case 0:
				cell.SetReference(s.SessionID)
			case 2:
				cell.SetTextColor(color)
			default:
				cell.SetAlign(tview.AlignRight)
			}
			u.sessions.SetCell(row, c, cell)
		}
		if s.CostUSD != nil {
			total += *s.CostUSD
		}
		if s.SessionID == selID {
			selRow = row
		}
	}
	title := fmt.Sprintf("Sessions — %d, %s", len(u.sessionList), d.USD(total))
	if u.sessionsErr != "" {
		title = "Sessions — " + u.sessionsErr
	}
	u.panes[1].title = title
	u.refreshTitles()
	if u.sessions.GetRowCount() > 1 {
		u.sessions.Select(selRow, 0)
	}
}

func (u *UI) renderStatus() {
	perSec, perMin, perHour := u.rates.snapshot(u.opts.Now())
	conn := "[green]● live[-]"
	if !u.connected {
		conn = "[red]○ " + tview.Escape(d.Dash(u.connMsg)) + "[-]"
		if u.connMsg == "" {
			conn = "[yellow]○ connecting…[-]"
		}
	}
	parts := []string{conn,
		fmt.Sprintf("[::b]%.1f[::-] spans/s", perSec),
		fmt.Sprintf("[::b]%s[::-] tokens/min", d.Int(int64(perMin))),
		fmt.Sprintf("[::b]%s[::-]/hour", d.USD(perHour)),
		fmt.Sprintf("%s seen", d.Int(u.seen)),
	}
	if u.paused {
		parts = append(parts, "[yellow]paused[-]")
	}
	if u.filterErr != "" {
		parts = append(parts, "[red]"+tview.Escape(u.filterErr)+"[-]")
	}
	u.status.SetText(" AgentTrace  " + strings.Join(parts, "  │  ") + "  │  " + tview.Escape(u.client.URL()))
}

func (u *UI) refreshTitles() {
	for i, p := range u.panes {
		title := fmt.Sprintf(" %c %s ", p.key, p.title)
		p.box.SetTitle(tview.Escape(title))
		if i == u.focusedIndex {
			p.box.SetBorderColor(tcell.ColorAqua).SetTitleColor(tcell.ColorAqua)
		} else {
			p.box.SetBorderColor(tcell.ColorGray).SetTitleColor(tcell.ColorWhite)
		}
	}
}

func (u *UI) setFocus(i int) {
	u.focusedIndex = (i + len(u.panes)) % len(u.panes)
	u.app.SetFocus(u.panes[u.focusedIndex].prim)
	u.refreshTitles()
}

// onKey handles the global keys; the rest goes to the focused pane.
func (u *UI) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if name, _ := u.pages.GetFrontPage(); name == "help" {
		u.pages.HidePage("help")
		return nil
	}
	if u.app.GetFocus() == u.input {
		return ev // the filter field takes every key
	}
	switch ev.Key() {
	case tcell.KeyCtrlC:
		u.quit()
		return nil
	case tcell.KeyTab:
		u.setFocus(u.focusedIndex + 1)
		return nil
	case tcell.KeyBacktab:
		u.setFocus(u.focusedIndex - 1)
		return nil
	case tcell.KeyRune:
	default:
		return ev
	}
	switch r := ev.Rune(); r {
	case 'q':
		u.quit()
	case '1', '2', '3', '4':
		u.setFocus(int(r - '1'))
	case '/':
		u.input.SetText(u.filter.raw)
		u.bottom.SwitchToPage("filter")
		u.app.SetFocus(u.input)
	case 'x':
		u.filter, u.filterErr = filter{}, ""
		u.renderFeed()
		u.renderStatus()
	case 'p', ' ':
		u.togglePause()
	case 'r':
		u.requestSessions()
		if u.traceID != "" {
			u.loadTrace(u.traceID, "")
		}
	case '?':
		u.pages.ShowPage("help")
	default:
		return ev
	}
	return nil
}

func (u *UI) togglePause() {
	u.paused = !u.paused
	if !u.paused && len(u.held) > 0 {
		held := u.held
		u.held = nil
		u.addSpans(held, false)
	}
	u.renderFeed()
	u.renderStatus()
}

func (u *UI) filterDone(key tcell.Key) {
	if key == tcell.KeyEnter {
		f, err := parseFilter(u.input.GetText())
		if err != nil {
			u.filterErr = err.Error()
		} else {
			u.filter, u.filterErr = f, ""
		}
	}
	u.bottom.SwitchToPage("help")
	u.setFocus(0)
	u.renderFeed()
	u.renderStatus()
}

func (u *UI) spanAt(row int) *apiclient.Span {
	if row <= 0 {
		return nil
	}
	s, _ := u.feed.GetCell(row, 0).GetReference().(*apiclient.Span)
	return s
}

func (u *UI) showSpanAt(row int) {
	if s := u.spanAt(row); s != nil {
		u.showSpan(s)
	}
}

func (u *UI) openSpanAt(row int) {
	if s := u.spanAt(row); s != nil {
		u.loadTrace(s.TraceID, s.SpanID)
		u.setFocus(2)
	}
}

// openSessionAt shows only the session's spans in the feed and opens its
// latest trace.
func (u *UI) openSessionAt(row int) {
	if row <= 0 {
		return
	}
	id, _ := u.sessions.GetCell(row, 0).GetReference().(string)
	if id == "" {
		return
	}
	u.filter, _ = parseFilter("session=" + id)
	u.filterErr = ""
	u.renderFeed()
	u.renderStatus()
	go func() {
		list, err := u.client.SessionTraces(u.ctx, id, nil, 1)
		u.update(func() {
			switch {
			case err != nil:
				u.detail.SetText("[red]" + tview.Escape(shortError(err)) + "[-]")
			case len(list.Items) == 0:
				u.detail.SetText("Session " + tview.Escape(id) + " has no traces yet.")
			default:
				u.loadTrace(list.Items[0].TraceID, "")
				u.setFocus(2)
			}
		})
	}()
}

// scheduleTraceReload reloads the tree shortly, once for a burst of spans.
func (u *UI) scheduleTraceReload() {
	if u.traceReload {
		return
	}
	u.traceReload = true
	id := u.traceID
	time.AfterFunc(300*time.Millisecond, func() {
		u.update(func() {
			u.traceReload = false
			if u.traceID == id {
				u.loadTrace(id, "")
			}
		})
	})
}

// loadTrace fetches a trace and shows it in the tree, selecting spanID
// (or keeping the current selection when it is a reload).
func (u *UI) loadTrace(traceID, spanID string) {
	if spanID == "" && traceID == u.traceID {
		if n := u.tree.GetCurrentNode(); n != nil {
			if s, ok := n.GetReference().(*apiclient.Span); ok {
				spanID = s.SpanID
			}
		}
	}
	u.traceID = traceID
	u.traceLoad++
	load := u.traceLoad
	ctx := u.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	go func() {
		tr, _, err := u.client.Trace(ctx, traceID)
		var tree apiclient.Tree
		if err == nil {
			tree, _, err = u.client.TraceTree(ctx, traceID)
		}
		u.update(func() {
			if load != u.traceLoad {
				return
			}
			if err != nil {
				u.tree.SetRoot(tview.NewTreeNode("[red]" + tview.Escape(shortError(err)) + "[-]").SetSelectable(false))
				return
			}
			u.showTree(tr, tree, spanID)
		})
	}()
}

func (u *UI) showTree(tr apiclient.Trace, tree apiclient.Tree, selectSpan string) {
	head := []string{tview.Escape(d.Dash(tr.RootName)), d.StatusIcon(tr.Status) + " " + tr.Status,
		d.SpanDuration(tr.Status, tr.DurationNanos), d.Int(tr.Tokens.Total) + " tok", d.Cost(tr.CostUSD)}
	if len(tr.Flags) > 0 {
		head = append(head, "[red]⚑ "+strings.Join(tr.Flags, ",")+"[-]")
	}
	root := tview.NewTreeNode("[::b]" + strings.Join(head, " · ") + "[::-]").SetReference(&tr).SetSelectable(true)
	var selected *tview.TreeNode
	type item struct {
		n      *apiclient.TreeNode
		parent *tview.TreeNode
	}
	stack := make([]item, 0, len(tree.Roots))
	for i := len(tree.Roots) - 1; i >= 0; i-- {
		stack = append(stack, item{tree.Roots[i], root})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := &it.n.Span
		node := tview.NewTreeNode(treeLabel(s)).SetReference(s).SetSelectable(true).SetColor(nodeColor(s.Status))
		it.parent.AddChild(node)
		if s.SpanID == selectSpan {
			selected = node
		}
		for k := len(it.n.Children) - 1; k >= 0; k-- {
			stack = append(stack, item{it.n.Children[k], node})
		}
	}
	u.tree.SetRoot(root)
	if selected == nil {
		selected = root
	}
	u.tree.SetCurrentNode(selected)
	u.panes[2].title = "Trace " + tr.TraceID
	u.refreshTitles()
	u.showNode(selected)
}

func nodeColor(status string) tcell.Color {
	switch status {
	case "error", "timeout":
		return tcell.ColorRed
	case "running":
		return tcell.ColorYellow
	}
	return tcell.ColorWhite
}

// treeLabel is one step: icon, name, step number, model or tool,
// duration, tokens and cost.
func treeLabel(s *apiclient.Span) string {
	parts := []string{d.TypeIcon(s.Type) + " " + tview.Escape(s.Name)}
	if s.Chain != nil {
		parts[0] += fmt.Sprintf(" [gray]#%d[-]", s.Chain.Step)
	}
	if mt := modelOrTool(s); mt != "" {
		parts = append(parts, "[aqua]"+tview.Escape(mt)+"[-]")
	}
	parts = append(parts, d.SpanDuration(s.Status, s.DurationNanos))
	if s.Tokens != nil {
		parts = append(parts, d.Int(s.Tokens.Total)+" tok")
	}
	if c := d.SpanCost(s.CostUSD, s.Cost.Status); c != "-" {
		parts = append(parts, "[green]"+c+"[-]")
	}
	if s.Status != "ok" {
		parts = append(parts, d.StatusIcon(s.Status)+" "+s.Status)
	}
	if len(s.Flags) > 0 {
		parts = append(parts, "[red]⚑ "+strings.Join(s.Flags, ",")+"[-]")
	}
	return strings.Join(parts, "  ")
}

func (u *UI) showNode(n *tview.TreeNode) {
	if n == nil {
		return
	}
	switch ref := n.GetReference().(type) {
	case *apiclient.Span:
		u.showSpan(ref)
	case *apiclient.Trace:
		u.detail.SetText(traceText(ref))
		u.detail.ScrollToBeginning()
	}
}

func (u *UI) showSpan(s *apiclient.Span) {
	u.detail.SetText(spanText(s))
	u.detail.ScrollToBeginning()
}
