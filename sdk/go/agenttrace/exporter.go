package agenttrace

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"google.golang.org/protobuf/types/known/structpb"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// Exporter sends batches and session events to the collector. The client
// calls it from one goroutine at a time; the loader (cmd/loadgen) calls the
// concrete exporters from many, which they allow.
type Exporter interface {
	// Export sends one batch. A *PartialError reports spans the collector
	// rejected while accepting the others.
	Export(ctx context.Context, b *atv1.SpanBatch) error
	// StartSession records the start of an agent run.
	StartSession(ctx context.Context, req *atv1.StartSessionRequest) error
	// EndSession records its end and returns the collector's summary.
	EndSession(ctx context.Context, req *atv1.EndSessionRequest) (*atv1.SessionSummary, error)
	// Shutdown closes connections; it is safe to call twice.
	Shutdown(ctx context.Context) error
}

// PartialError is a batch of which the collector accepted some spans and
// rejected the others (naming each in Errors).
type PartialError struct {
	Accepted, Rejected int64
	Errors             []*atv1.SpanError
}

func (e *PartialError) Error() string {
	msg := fmt.Sprintf("%d spans accepted, %d rejected", e.Accepted, e.Rejected)
	if len(e.Errors) > 0 {
		f := e.Errors[0]
		msg += fmt.Sprintf("; spans[%d].%s: %s", f.GetIndex(), f.GetField(), f.GetMessage())
	}
	return msg
}

func partialFromResponse(r *atv1.SendSpansResponse) error {
	if r.GetRejected() == 0 {
		return nil
	}
	return &PartialError{Accepted: r.GetAccepted(), Rejected: r.GetRejected(), Errors: r.GetErrors()}
}

// Accepted is how many spans of an n-span batch the collector acknowledged,
// given Export's error.
func Accepted(n int, err error) int64 {
	if err == nil {
		return int64(n)
	}
	if pe, ok := err.(*PartialError); ok {
		return pe.Accepted
	}
	return 0
}

func protoAttributes(attrs []Attr) map[string]*structpb.Value {
	m := make(map[string]*structpb.Value, len(attrs))
	for _, a := range attrs {
		var v *structpb.Value
		switch a.kind {
		case kindInt:
			v = structpb.NewNumberValue(float64(a.num))
		case kindFloat:
			f := a.f
			if math.IsNaN(f) || math.IsInf(f, 0) {
				v = structpb.NewStringValue(fmt.Sprint(f))
			} else {
				v = structpb.NewNumberValue(f)
			}
		case kindBool:
			v = structpb.NewBoolValue(a.num == 1)
		default:
			v = structpb.NewStringValue(a.str)
		}
		m[a.Key] = v
	}
	return m
}

// IsRetryable reports whether err means the collector is pushing back
// (HTTP 503 or 429, gRPC Unavailable or ResourceExhausted: a full queue,
// memory_limiter) or cannot be reached, so the same batch may be sent again
// later. Rejected spans (*PartialError) are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var pe *PartialError
	if errors.As(err, &pe) {
		return false
	}
	var he *httpStatusError
	if errors.As(err, &he) {
		return he.code == http.StatusServiceUnavailable || he.code == http.StatusTooManyRequests
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.ResourceExhausted:
			return true
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED)
}
