package agenttraceauthextension

import (
	"fmt"
	"math"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/agenttrace/agenttrace/internal/apikey"
)

// RateLimited returns the error for a request of spans that id's rate limit
// refused: a gRPC ResourceExhausted status carrying RetryInfo, which the
// OTLP receiver answers as HTTP 429 with Retry-After and the native receiver
// maps the same way. The message names the key by its ID only.
func RateLimited(id *apikey.Identity, spans int) error {
	perSecond, burst := id.Limit()
	var msg string
	if spans > burst {
		msg = fmt.Sprintf("ingest key %s: a request of %d spans exceeds the key's burst of %d spans; split it into smaller batches", id.ID, spans, burst)
	} else {
		msg = fmt.Sprintf("ingest key %s: over its rate limit of %g spans/s (burst %d); %d spans refused, retry later", id.ID, perSecond, burst, spans)
	}
	st, err := status.New(codes.ResourceExhausted, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfter(id, spans))})
	if err != nil {
		return status.Error(codes.ResourceExhausted, msg)
	}
	return st.Err()
}

// RetryAfter is how long a client should wait before resending spans: the
// time the key's bucket needs to refill them, at least one second (HTTP's
// Retry-After counts whole seconds).
func RetryAfter(id *apikey.Identity, spans int) time.Duration {
	perSecond, burst := id.Limit()
	if perSecond <= 0 {
		return time.Second
	}
	need := float64(min(spans, max(burst, 1)))
	return time.Duration(max(1, math.Ceil(need/perSecond))) * time.Second
}
