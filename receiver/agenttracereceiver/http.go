package agenttracereceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

func (r *agentTraceReceiver) startHTTP(ctx context.Context, host component.Host) error {
	cfg := r.cfg.HTTP.Get()
	if cfg == nil {
		return nil
	}
	// Auth failures (401) answer in the receiver's own JSON error shape.
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, r.handler(transportHTTP),
		confighttp.WithErrorHandler(func(w http.ResponseWriter, req *http.Request, msg string, code int) {
			writeError(w, req, code, msg)
		}))
	if err != nil {
		return err
	}
	if cfg.Auth.HasValue() {
		// GET /health answers without a key, so load balancers and
		// `agenttrace status` can probe an authenticated receiver; it
		// reveals only that the receiver is up and its version.
		authed := srv.Handler
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodGet && req.URL.Path == "/health" {
				writeMessage(w, req, http.StatusOK, r.health())
				return
			}
			authed.ServeHTTP(w, req)
		})
	}
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		return err
	}
	r.httpServer = srv
	r.httpAddr = ln.Addr()
	r.set.Logger.Info("Native HTTP server listening", zap.String("endpoint", ln.Addr().String()))
	r.serve(host, transportHTTP, func() error { return srv.Serve(ln) }, http.ErrServerClosed)
	return nil
}

func (r *agentTraceReceiver) startUnix(_ context.Context, host component.Host) error {
	cfg := r.cfg.Unix.Get()
	if cfg == nil {
		return nil
	}
	if err := removeStaleSocket(cfg.Path); err != nil {
		return err
	}
	ln, err := net.Listen("unix", cfg.Path)
	if err != nil {
		return fmt.Errorf("unix socket %s: %w", cfg.Path, err)
	}
	// Local only: the owner's processes may write, nobody else.
	if err := os.Chmod(cfg.Path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("unix socket %s: %w", cfg.Path, err)
	}
	handler := http.MaxBytesHandler(r.handler(transportUnix), 20<<20)
	r.unixServer = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	r.set.Logger.Info("Native unix-socket server listening", zap.String("path", cfg.Path))
	r.serve(host, transportUnix, func() error { return r.unixServer.Serve(ln) }, http.ErrServerClosed)
	return nil
}

// removeStaleSocket deletes a socket file no process listens on; any other
// existing file is left alone and reported.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("unix socket %s: a file that is not a socket is in the way", path)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("unix socket %s: another process is listening on it", path)
	}
	return os.Remove(path)
}

// handler serves the native HTTP API (also used on the unix socket).
func (r *agentTraceReceiver) handler(transport string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/spans", func(w http.ResponseWriter, req *http.Request) {
		r.handleSpans(w, req, transport)
	})
	mux.HandleFunc("POST /v1/sessions/start", func(w http.ResponseWriter, req *http.Request) {
		in := &atv1.StartSessionRequest{}
		if !readMessage(w, req, in) {
			return
		}
		resp, err := r.startSession(req.Context(), transport, in)
		writeSessionResult(w, req, resp, err)
	})
	mux.HandleFunc("POST /v1/sessions/end", func(w http.ResponseWriter, req *http.Request) {
		in := &atv1.EndSessionRequest{}
		if !readMessage(w, req, in) {
			return
		}
		resp, err := r.endSession(req.Context(), transport, in)
		writeSessionResult(w, req, resp, err)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, req *http.Request) {
		writeMessage(w, req, http.StatusOK, r.health())
	})
	return mux
}

func isProtobuf(req *http.Request) bool {
	ct := req.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-protobuf") || strings.HasPrefix(ct, "application/protobuf")
}

func readBody(w http.ResponseWriter, req *http.Request) ([]byte, bool) {
	// Size the buffer from Content-Length (bounded by the body limit that
	// wraps req.Body) instead of growing it by doubling; the extra MinRead
	// is the room ReadFrom wants to see EOF without one last doubling copy.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(req.ContentLength, 0)+bytes.MinRead, 20<<20)))
	_, err := buf.ReadFrom(req.Body)
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, req, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes; split the batch", tooBig.Limit))
			return nil, false
		}
		writeError(w, req, http.StatusBadRequest, "reading body: "+err.Error())
		return nil, false
	}
	return body, true
}

func (r *agentTraceReceiver) handleSpans(w http.ResponseWriter, req *http.Request, transport string) {
	body, ok := readBody(w, req)
	if !ok {
		r.countRejected(req.Context(), transport, reasonOversize, 1)
		return
	}
	var (
		n       int // spans decoded, up to a malformed tail
		convert func() converted
		err     error
		format  = "json"
	)
	if isProtobuf(req) {
		format = "protobuf"
		var b *wireBatch
		b, err = splitBatchProto(body)
		n = len(b.spans)
		convert = func() converted { return r.conv.convertWire(b) }
	} else {
		var (
			b          *atv1.SpanBatch
			decodeErrs map[int]error
		)
		b, decodeErrs, err = decodeBatchJSON(body)
		if b != nil {
			n = len(b.GetSpans())
			convert = func() converted { return r.conv.convertProto(b, decodeErrs) }
		}
	}
	if convert == nil || (err != nil && n == 0) {
		r.countRejected(req.Context(), transport, reasonMalformed, 1)
		writeError(w, req, http.StatusBadRequest, err.Error())
		return
	}
	resp, ierr := r.ingest(req.Context(), transport, format, n, convert)
	if err != nil { // spans after a malformed tail were lost: say so
		r.countRejected(req.Context(), transport, reasonMalformed, 1)
		resp.Errors = append(resp.Errors, &atv1.SpanError{Index: int32(n), Field: "spans", Message: err.Error()})
	}
	switch {
	case isRateLimited(ierr):
		setRetryAfter(w, ierr)
		writeMessage(w, req, http.StatusTooManyRequests, resp)
	case ierr != nil && consumererror.IsPermanent(ierr):
		writeMessage(w, req, http.StatusBadRequest, resp)
	case ierr != nil:
		// The pipeline is refusing (e.g. memory_limiter): retry later.
		w.Header().Set("Retry-After", "1")
		writeMessage(w, req, http.StatusServiceUnavailable, resp)
	case resp.GetRejected() > 0 || err != nil:
		writeMessage(w, req, http.StatusBadRequest, resp)
	default:
		writeMessage(w, req, http.StatusOK, resp)
	}
}

func readMessage(w http.ResponseWriter, req *http.Request, m proto.Message) bool {
	body, ok := readBody(w, req)
	if !ok {
		return false
	}
	var err error
	if isProtobuf(req) {
		err = proto.Unmarshal(body, m)
	} else if len(strings.TrimSpace(string(body))) > 0 {
		err = protojson.Unmarshal(body, m)
	}
	if err != nil {
		writeError(w, req, http.StatusBadRequest, "malformed request: "+cleanProtoJSONError(err).Error())
		return false
	}
	return true
}

func writeSessionResult(w http.ResponseWriter, req *http.Request, resp proto.Message, err error) {
	var bad *badRequestError
	switch {
	case err == nil:
		writeMessage(w, req, http.StatusOK, resp)
	case errors.As(err, &bad), consumererror.IsPermanent(err):
		writeError(w, req, http.StatusBadRequest, err.Error())
	case isRateLimited(err):
		setRetryAfter(w, err)
		writeError(w, req, http.StatusTooManyRequests, status.Convert(err).Message())
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, req, http.StatusServiceUnavailable, err.Error())
	}
}

// setRetryAfter copies a rate-limit status's RetryInfo into Retry-After
// (whole seconds, at least 1).
func setRetryAfter(w http.ResponseWriter, err error) {
	secs := int64(1)
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			secs = max(secs, int64(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds())))
		}
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
}

var jsonOut = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func writeMessage(w http.ResponseWriter, req *http.Request, code int, m proto.Message) {
	var (
		body []byte
		err  error
	)
	if isProtobuf(req) {
		w.Header().Set("Content-Type", "application/x-protobuf")
		body, err = proto.Marshal(m)
	} else {
		w.Header().Set("Content-Type", "application/json")
		body, err = jsonOut.Marshal(m)
	}
	if err != nil {
		code = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"encoding the response failed"}}`)
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeError answers with the error JSON used across AgentTrace:
// {"error":{"code":...,"message":...}}.
func writeError(w http.ResponseWriter, _ *http.Request, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: codeName(code), Message: msg}})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func codeName(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "invalid_argument"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusTooManyRequests:
		return "rate_limited"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(code)), " ", "_")
}
