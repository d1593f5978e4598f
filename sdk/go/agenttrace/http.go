package agenttrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// HTTPOptions configures the HTTP exporter.
type HTTPOptions struct {
	// Endpoint is the native HTTP API's base URL (default http://127.0.0.1:4321).
	Endpoint string
	// JSON sends protobuf-JSON bodies instead of binary protobuf.
	JSON bool
	// APIKey, when set, is sent as "Authorization: Bearer <key>".
	APIKey string
	// Timeout bounds each request without a deadline of its own (default 2 s).
	Timeout time.Duration
	// Client replaces the default HTTP client (kept-alive connections).
	Client *http.Client
}

// HTTPExporter posts batches to /v1/spans and sessions to
// /v1/sessions/start|end.
type HTTPExporter struct {
	opts   HTTPOptions
	client *http.Client
	base   string
	ctype  string
}

var _ Exporter = (*HTTPExporter)(nil)

var jsonIn = protojson.UnmarshalOptions{DiscardUnknown: true}

// NewHTTPExporter creates the exporter; it does no network I/O.
func NewHTTPExporter(o HTTPOptions) (*HTTPExporter, error) {
	if o.Endpoint == "" {
		o.Endpoint = DefaultHTTPEndpoint
	}
	if !strings.HasPrefix(o.Endpoint, "http://") && !strings.HasPrefix(o.Endpoint, "https://") {
		return nil, fmt.Errorf("agenttrace: http exporter endpoint %q: want http:// or https://", o.Endpoint)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	e := &HTTPExporter{opts: o, client: o.Client, base: strings.TrimRight(o.Endpoint, "/"), ctype: "application/x-protobuf"}
	if o.JSON {
		e.ctype = "application/json"
	}
	if e.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 64
		t.MaxIdleConnsPerHost = 64
		t.DialContext = (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext
		e.client = &http.Client{Transport: t}
	}
	return e, nil
}

func (e *HTTPExporter) marshal(m proto.Message) ([]byte, error) {
	if e.opts.JSON {
		return protojson.Marshal(m)
	}
	return proto.Marshal(m)
}

func (e *HTTPExporter) unmarshal(ctype string, body []byte, m proto.Message) error {
	if strings.HasPrefix(ctype, "application/json") {
		return jsonIn.Unmarshal(body, m)
	}
	return proto.Unmarshal(body, m)
}

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	code int
	body string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, strings.TrimSpace(e.body))
}

// post sends m to path and decodes a 200 answer into out. A 400 whose body
// decodes into out is returned with its status error so callers can read
// partial results.
func (e *HTTPExporter) post(ctx context.Context, path string, m, out proto.Message) error {
	body, err := e.marshal(m)
	if err != nil {
		return fmt.Errorf("agenttrace: encode %s: %w", path, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("agenttrace: POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", e.ctype)
	req.Header.Set("Accept", e.ctype)
	if e.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.opts.APIKey)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("agenttrace: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("agenttrace: POST %s: reading the answer: %w", path, err)
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode == http.StatusOK {
		if err := e.unmarshal(ct, rb, out); err != nil {
			return fmt.Errorf("agenttrace: POST %s: decoding the answer: %w", path, err)
		}
		return nil
	}
	serr := &httpStatusError{code: resp.StatusCode, body: string(rb)}
	decoded := e.unmarshal(ct, rb, out) == nil
	if decoded && !strings.HasPrefix(ct, "application/json") {
		serr.body = protojson.MarshalOptions{UseProtoNames: true}.Format(out) // readable, not binary
	}
	if resp.StatusCode == http.StatusBadRequest && decoded {
		return serr
	}
	return fmt.Errorf("agenttrace: POST %s: %w", path, serr)
}

// Export posts one batch to /v1/spans.
func (e *HTTPExporter) Export(ctx context.Context, b *atv1.SpanBatch) error {
	resp := &atv1.SendSpansResponse{}
	err := e.post(ctx, "/v1/spans", b, resp)
	var se *httpStatusError
	if errors.As(err, &se) && se.code == http.StatusBadRequest && resp.GetRejected() > 0 {
		return partialFromResponse(resp)
	}
	if err != nil {
		return err
	}
	return partialFromResponse(resp)
}

// StartSession posts to /v1/sessions/start.
func (e *HTTPExporter) StartSession(ctx context.Context, req *atv1.StartSessionRequest) error {
	return e.post(ctx, "/v1/sessions/start", req, &atv1.StartSessionResponse{})
}

// EndSession posts to /v1/sessions/end and returns the summary.
func (e *HTTPExporter) EndSession(ctx context.Context, req *atv1.EndSessionRequest) (*atv1.SessionSummary, error) {
	resp := &atv1.EndSessionResponse{}
	if err := e.post(ctx, "/v1/sessions/end", req, resp); err != nil {
		return nil, err
	}
	return resp.GetSummary(), nil
}

// Shutdown closes idle connections.
func (e *HTTPExporter) Shutdown(context.Context) error {
	e.client.CloseIdleConnections()
	return nil
}
