package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

const bulkSpans = 2500

// seedBulk adds bulkSpans spans (one trace each), so exports need several
// pages of storage.MaxLimit.
func seedBulk(t *testing.T, w storage.Writer) {
	t.Helper()
	base := at(tue, "13h")
	var b storage.Batch
	for i := range bulkSpans {
		s := llm(span(0x10000+i, 0x10000+i, 0, canonical.TypeLLMCall, fmt.Sprintf("bulk %d", i),
			base.Add(time.Duration(i)*time.Millisecond), 10*time.Millisecond, canonical.StatusOK),
			"gpt-4o", "openai", canonical.Tokens{Input: 10, Output: 1}, priced(0.0001))
		if i%10 == 0 {
			s.Cost = canonical.Cost{Status: canonical.CostStatusUnpriced}
		}
		b.Spans = append(b.Spans, s)
		if len(b.Spans) == 500 {
			if err := w.Write(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			b.Spans = nil
		}
	}
}

// pageCounter records the page sizes the server asks the store for.
type pageCounter struct {
	Store
	mu     sync.Mutex
	limits []int
	failAt int // fail the n-th QuerySpans call (1-based); 0 never
}

// reset clears the record and arms a failure at the failAt-th call.
func (p *pageCounter) reset(failAt int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limits, p.failAt = nil, failAt
}

func (p *pageCounter) pages() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.limits)
}

func (p *pageCounter) QuerySpans(ctx context.Context, sc storage.Scope, q storage.SpanQuery) (storage.Page[storage.Span], error) {
	p.mu.Lock()
	p.limits = append(p.limits, q.Limit)
	n, failAt := len(p.limits), p.failAt
	p.mu.Unlock()
	if n == failAt {
		return storage.Page[storage.Span]{}, errors.New("disk on fire")
	}
	return p.Store.QuerySpans(ctx, sc, q)
}

func TestExport(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			seed(t, st)
			seedBulk(t, st)
			counter := &pageCounter{Store: st}
			s := newTestServer(t, counter, DefaultConfig())
			seeded, seededPriced, seededUnpriced := 0, 0, 0
			for _, b := range seedBatches() {
				for _, sp := range b.Spans {
					seeded++
					if sp.Cost.HasCost() {
						seededPriced++
					} else if sp.Cost.Status == canonical.CostStatusUnpriced {
						seededUnpriced++
					}
				}
			}
			total := bulkSpans + seeded

			t.Run("ndjson", func(t *testing.T) {
				counter.reset(0)
				code, h, body := s.do("GET", "/api/v1/export/spans")
				if code != 200 || h.Get("Content-Type") != mimeNDJSON || !strings.Contains(h.Get("Content-Disposition"), ".ndjson") {
					t.Fatalf("%d %v", code, h)
				}
				n := 0
				for sc := bufio.NewScanner(bytes.NewReader(body)); sc.Scan(); n++ {
					var v spanView
					if err := json.Unmarshal(sc.Bytes(), &v); err != nil || v.SpanID == "" {
						t.Fatalf("line %d: %v %s", n, err, sc.Bytes())
					}
				}
				if n != total {
					t.Errorf("%d lines, want %d", n, total)
				}
				// Page by page: never more than one page asked of the store.
				pages := counter.pages()
				if len(pages) < 3 {
					t.Errorf("store asked %d times: %v", len(pages), pages)
				}
				for _, l := range pages {
					if l > storage.MaxLimit {
						t.Errorf("page of %d", l)
					}
				}
			})
			t.Run("json array with limit", func(t *testing.T) {
				code, _, body := s.do("GET", "/api/v1/export/spans?format=json&limit=1500&model=gpt-4o")
				var spans []spanView
				if err := json.Unmarshal(body, &spans); code != 200 || err != nil {
					t.Fatalf("%d %v", code, err)
				}
				if len(spans) != 1500 {
					t.Errorf("%d spans", len(spans))
				}
				_, _, body = s.do("GET", "/api/v1/export/spans?format=json&trace="+tid(0x999))
				if strings.TrimSpace(string(body)) != "[]" {
					t.Errorf("empty export = %q", body)
				}
			})
			t.Run("csv", func(t *testing.T) {
				code, h, body := s.do("GET", "/api/v1/export/spans?format=csv")
				if code != 200 || h.Get("Content-Type") != mimeCSV {
					t.Fatalf("%d %v", code, h)
				}
				rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != total+1 || rows[0][0] != "trace_id" {
					t.Fatalf("%d rows, header %v", len(rows), rows[0])
				}
				col := map[string]int{}
				for i, name := range rows[0] {
					col[name] = i
				}
				for _, r := range rows[1:] {
					if r[col["span_id"]] == sid(0x21) {
						if r[col["cost_usd"]] != "" || r[col["cost_status"]] != "unpriced" {
							t.Errorf("unpriced span cost cell %q", r[col["cost_usd"]])
						}
						if !strings.HasPrefix(r[col["response"]], "'=SUM") {
							t.Errorf("formula not defused: %q", r[col["response"]])
						}
					}
				}
				_, _, body = s.do("GET", "/api/v1/export/traces?format=csv&session=nope")
				if strings.Count(string(body), "\n") != 1 {
					t.Errorf("empty CSV export should be the header: %q", body)
				}
			})
			t.Run("parquet", func(t *testing.T) {
				code, h, body := s.do("GET", "/api/v1/export/spans?format=parquet")
				if code != 200 || h.Get("Content-Type") != mimeParquet {
					t.Fatalf("%d %v", code, h)
				}
				rows, err := parquet.Read[spanRecord](bytes.NewReader(body), int64(len(body)))
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != total {
					t.Errorf("%d rows, want %d", len(rows), total)
				}
				f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
				if err != nil {
					t.Fatal(err)
				}
				if len(f.RowGroups()) < 3 {
					t.Errorf("%d row groups; want one per page", len(f.RowGroups()))
				}
				priced, unpriced := 0, 0
				for _, r := range rows {
					switch {
					case r.CostUSD != nil:
						priced++
					case r.CostStatus == canonical.CostStatusUnpriced:
						unpriced++
					}
				}
				if unpriced != bulkSpans/10+seededUnpriced || priced != bulkSpans-bulkSpans/10+seededPriced {
					t.Errorf("priced %d unpriced %d", priced, unpriced)
				}
				code, _, body = s.do("GET", "/api/v1/export/traces?format=parquet&session="+sessAlpha)
				traces, err := parquet.Read[traceRecord](bytes.NewReader(body), int64(len(body)))
				if code != 200 || err != nil || len(traces) != 2 {
					t.Fatalf("%d %v %d", code, err, len(traces))
				}
				for _, tr := range traces {
					if tr.TraceID == trSummarize && tr.CostUSD != nil {
						t.Errorf("unpriced trace cost %v", *tr.CostUSD)
					}
				}
			})
			t.Run("traces ndjson", func(t *testing.T) {
				_, _, body := s.do("GET", "/api/v1/export/traces?limit=3")
				if n := strings.Count(string(body), "\n"); n != 3 {
					t.Errorf("%d lines", n)
				}
			})
			t.Run("failure after the first page aborts the transfer", func(t *testing.T) {
				counter.reset(2)
				defer counter.reset(0)
				resp, err := s.ts.Client().Get(s.ts.URL + "/api/v1/export/spans?format=json")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				_, err = io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || err == nil {
					t.Errorf("status %d, read error %v; want a broken transfer", resp.StatusCode, err)
				}
			})
			t.Run("failure on the first page is a status", func(t *testing.T) {
				counter.reset(1)
				defer counter.reset(0)
				code, _, body := s.do("GET", "/api/v1/export/spans")
				if code != 500 || !strings.Contains(string(body), codeInternal) {
					t.Errorf("%d %s", code, body)
				}
				code, _, _ = s.do("GET", "/api/v1/export/traces?cursor=bogus!")
				if code != 400 {
					t.Errorf("bad cursor: %d", code)
				}
			})
		})
	}
}
