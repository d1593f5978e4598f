package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// maxPage is the API's largest page.
const maxPage = 1000

// List is the items of one or more pages with their raw JSON.
type List[T any] struct {
	Items []T
	Raw   []json.RawMessage
	// More is true when the API had more items than the limit.
	More bool
}

// list reads up to limit items of a paged endpoint, following cursors.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, limit int) (List[T], error) {
	var out List[T]
	if limit <= 0 {
		limit = 50
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for {
		q.Set("limit", strconv.Itoa(min(limit-len(out.Items), maxPage)))
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		if _, err := c.getJSON(ctx, http.MethodGet, path, q, &page); err != nil {
			return out, err
		}
		for _, raw := range page.Items {
			var item T
			if err := json.Unmarshal(raw, &item); err != nil {
				return out, fmt.Errorf("the API's answer to %s is not the expected JSON: %w", path, err)
			}
			out.Items = append(out.Items, item)
			out.Raw = append(out.Raw, raw)
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return out, nil
		}
		if len(out.Items) >= limit {
			out.More = true
			return out, nil
		}
		q.Set("cursor", *page.NextCursor)
	}
}

// Sessions lists sessions, newest first. query holds the API's filters
// (from, to, agent, q, active).
func (c *Client) Sessions(ctx context.Context, query url.Values, limit int) (List[Session], error) {
	return list[Session](ctx, c, "/api/v1/sessions", query, limit)
}

// Session returns one session.
func (c *Client) Session(ctx context.Context, id string) (Session, json.RawMessage, error) {
	var s Session
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/sessions/"+url.PathEscape(id), nil, &s)
	return s, raw, err
}

// SessionTraces lists a session's traces, newest first.
func (c *Client) SessionTraces(ctx context.Context, id string, query url.Values, limit int) (List[Trace], error) {
	return list[Trace](ctx, c, "/api/v1/sessions/"+url.PathEscape(id)+"/traces", query, limit)
}

// DeleteSession deletes a session with its traces and spans (admin key).
func (c *Client) DeleteSession(ctx context.Context, id string) (Deleted, json.RawMessage, error) {
	var d Deleted
	raw, err := c.getJSON(ctx, http.MethodDelete, "/api/v1/sessions/"+url.PathEscape(id), nil, &d)
	return d, raw, err
}

// Traces searches traces, newest first. query holds the API's filters.
func (c *Client) Traces(ctx context.Context, query url.Values, limit int) (List[Trace], error) {
	return list[Trace](ctx, c, "/api/v1/traces", query, limit)
}

// Trace returns a trace summary.
func (c *Client) Trace(ctx context.Context, id string) (Trace, json.RawMessage, error) {
	var t Trace
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/traces/"+url.PathEscape(id), nil, &t)
	return t, raw, err
}

// TraceTree returns a trace's spans as a tree.
func (c *Client) TraceTree(ctx context.Context, id string) (Tree, json.RawMessage, error) {
	var t Tree
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/traces/"+url.PathEscape(id)+"/spans", nil, &t)
	return t, raw, err
}

// TraceChain returns a trace's reasoning chain.
func (c *Client) TraceChain(ctx context.Context, id string) (ChainResponse, json.RawMessage, error) {
	var ch ChainResponse
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/traces/"+url.PathEscape(id)+"/chain", nil, &ch)
	return ch, raw, err
}

// Spans queries spans, newest first. query holds the API's filters.
func (c *Client) Spans(ctx context.Context, query url.Values, limit int) (List[Span], error) {
	return list[Span](ctx, c, "/api/v1/spans", query, limit)
}

// Span returns one span.
func (c *Client) Span(ctx context.Context, traceID, spanID string) (Span, json.RawMessage, error) {
	var s Span
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/spans/"+url.PathEscape(traceID)+"/"+url.PathEscape(spanID), nil, &s)
	return s, raw, err
}

// Summary returns the totals of a time range (from, to) and their change.
func (c *Client) Summary(ctx context.Context, query url.Values) (SummaryResponse, json.RawMessage, error) {
	var s SummaryResponse
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/metrics/summary", query, &s)
	return s, raw, err
}

// Costs returns cost and tokens grouped by query's group_by.
func (c *Client) Costs(ctx context.Context, query url.Values) (Costs, json.RawMessage, error) {
	var s Costs
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/metrics/costs", query, &s)
	return s, raw, err
}

// Performance returns latency percentiles grouped by query's group_by.
func (c *Client) Performance(ctx context.Context, query url.Values) (Performance, json.RawMessage, error) {
	var s Performance
	raw, err := c.getJSON(ctx, http.MethodGet, "/api/v1/metrics/performance", query, &s)
	return s, raw, err
}
