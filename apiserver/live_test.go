package apiserver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

func dialLive(t *testing.T, s *testServer, query string, header http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.ts.URL, "http") + livePath + query
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, resp)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

func readLive(t *testing.T, conn *websocket.Conn) liveMessageView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var msg liveMessageView
	if err := wsjson.Read(ctx, conn, &msg); err != nil {
		t.Fatalf("read live message: %v", err)
	}
	return msg
}

// waitFollowing gives the server time to take its starting position
// before the test writes, so the write is "after the client connected".
func waitFollowing() { time.Sleep(100 * time.Millisecond) }

func TestLiveSpans(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			seed(t, st)
			s := newTestServer(t, st, DefaultConfig())
			all := dialLive(t, s, "", nil)
			onlyErrors := dialLive(t, s, "?status=error&session="+sessBeta, nil)
			waitFollowing()

			okSpan := inSession(span(0x77, 0x770, 0, canonical.TypeAgent, "live ok", at(tue, "13h"), time.Second, canonical.StatusOK), sessBeta, "coder")
			errSpan := failed(inSession(span(0x77, 0x771, 0x770, canonical.TypeToolExecution, "live fail", at(tue, "13h0m1s"), time.Second, canonical.StatusError), sessBeta, "coder"), "boom", "E1")
			if err := st.Write(context.Background(), storage.Batch{Spans: []storage.Span{okSpan}}); err != nil {
				t.Fatal(err)
			}
			if err := st.Write(context.Background(), storage.Batch{Spans: []storage.Span{errSpan}}); err != nil {
				t.Fatal(err)
			}
			var got []string
			var lastSeq int64
			for len(got) < 2 {
				msg := readLive(t, all)
				if msg.Type != "spans" {
					t.Fatalf("message type %q", msg.Type)
				}
				for _, sp := range msg.Spans {
					got = append(got, sp.Name)
				}
				lastSeq = msg.LastSeq
			}
			if strings.Join(got, ",") != "live ok,live fail" {
				t.Errorf("live spans = %v (seeded spans must not be replayed)", got)
			}
			msg := readLive(t, onlyErrors)
			if len(msg.Spans) != 1 || msg.Spans[0].Name != "live fail" || msg.Spans[0].StatusMessage != "boom" {
				t.Errorf("filtered stream = %+v", msg.Spans)
			}

			// Resuming after a sequence number replays what came after it.
			resumed := dialLive(t, s, "?after_seq="+itoa(lastSeq-1), nil)
			msg = readLive(t, resumed)
			if len(msg.Spans) != 1 || msg.Spans[0].Name != "live fail" {
				t.Errorf("resumed stream = %+v", msg.Spans)
			}
			all.Close(websocket.StatusNormalClosure, "")
		})
	}
}

func TestLiveSpansRejectsCrossOrigin(t *testing.T) {
	s := newTestServer(t, openSQLite(t), DefaultConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.ts.URL, "http") + livePath
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin dial: %v %v", err, resp)
	}
	// An allowed origin connects.
	cfg := DefaultConfig()
	cfg.AllowedOrigins = []string{"https://dash.example"}
	s = newTestServer(t, openSQLite(t), cfg)
	dialLive(t, s, "", http.Header{"Origin": {"https://dash.example"}})
}

func TestLiveSpansEndOnShutdown(t *testing.T) {
	s := newTestServer(t, openSQLite(t), DefaultConfig())
	conn := dialLive(t, s, "", nil)
	waitFollowing()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	readErr := make(chan error, 1)
	go func() { _, _, err := conn.Read(ctx); readErr <- err }()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("read during shutdown: %v", err)
	}
}

// A plugged-in live source replaces polling.
type chanSource chan []storage.Span

func (c chanSource) Follow(ctx context.Context, f LiveFilter, deliver func([]storage.Span) error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case spans := <-c:
			var keep []storage.Span
			for i := range spans {
				if f.Match(&spans[i]) {
					keep = append(keep, spans[i])
				}
			}
			if len(keep) > 0 {
				if err := deliver(keep); err != nil {
					return err
				}
			}
		}
	}
}

func TestLiveSourceOption(t *testing.T) {
	src := make(chanSource, 1)
	s := newTestServer(t, openSQLite(t), DefaultConfig(), WithLiveSource(src))
	conn := dialLive(t, s, "?type=llm_call", nil)
	src <- []storage.Span{
		span(1, 1, 0, canonical.TypeAgent, "skip me", tue, time.Second, canonical.StatusOK),
		span(1, 2, 1, canonical.TypeLLMCall, "from redis", tue, time.Second, canonical.StatusOK),
	}
	msg := readLive(t, conn)
	if len(msg.Spans) != 1 || msg.Spans[0].Name != "from redis" {
		t.Errorf("got %+v", msg.Spans)
	}
}
