package agenttracereceiver

import (
	"context"
	"errors"
	"io"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

func (r *agentTraceReceiver) startGRPC(ctx context.Context, host component.Host) error {
	cfg := r.cfg.GRPC.Get()
	if cfg == nil {
		return nil
	}
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings,
		configgrpc.WithGrpcServerOption(grpc.ForceServerCodecV2(newLaxCodec())))
	if err != nil {
		return err
	}
	atv1.RegisterAgentTraceCollectorServer(srv, r)
	ln, err := cfg.NetAddr.Listen(ctx)
	if err != nil {
		return err
	}
	r.grpcServer = srv
	r.grpcAddr = ln.Addr()
	r.set.Logger.Info("Native gRPC server listening", zap.String("endpoint", ln.Addr().String()))
	r.serve(host, transportGRPC, func() error { return srv.Serve(ln) }, grpc.ErrServerStopped)
	return nil
}

// grpcError maps an ingest result to a gRPC status: rejected spans are
// InvalidArgument (with the full response as a status detail), a rate-limited
// key is ResourceExhausted (retryable, with RetryInfo), a refusing pipeline
// is Unavailable (retryable) unless its error is permanent.
func grpcError(resp *atv1.SendSpansResponse, err error) error {
	if isRateLimited(err) {
		return status.Convert(err).Err()
	}
	if err != nil {
		code := codes.Unavailable
		if consumererror.IsPermanent(err) {
			code = codes.InvalidArgument
		}
		st, _ := status.New(code, err.Error()).WithDetails(resp)
		return st.Err()
	}
	if resp.GetRejected() > 0 {
		st, _ := status.New(codes.InvalidArgument, summarize(resp)).WithDetails(resp)
		return st.Err()
	}
	return nil
}

// SendSpans ingests one batch.
func (r *agentTraceReceiver) SendSpans(ctx context.Context, b *atv1.SpanBatch) (*atv1.SendSpansResponse, error) {
	resp, err := r.ingest(ctx, transportGRPC, "protobuf", b, decodeErrors(b))
	if gerr := grpcError(resp, err); gerr != nil {
		return nil, gerr
	}
	return resp, nil
}

// SendSpan ingests a single span.
func (r *agentTraceReceiver) SendSpan(ctx context.Context, req *atv1.SendSpanRequest) (*atv1.SendSpansResponse, error) {
	if req.GetSpan() == nil {
		return nil, status.Error(codes.InvalidArgument, "span: required")
	}
	return r.SendSpans(ctx, &atv1.SpanBatch{Spans: []*atv1.Span{req.GetSpan()}})
}

// StreamSpans ingests a stream of batches and answers with the totals when
// the client closes its side. A refusing pipeline ends the stream with
// Unavailable; batches acknowledged before that were accepted.
func (r *agentTraceReceiver) StreamSpans(stream grpc.ClientStreamingServer[atv1.SpanBatch, atv1.SendSpansResponse]) error {
	total := &atv1.SendSpansResponse{}
	offset := int32(0)
	for {
		b, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(total)
		}
		if err != nil {
			return err
		}
		resp, ierr := r.ingest(stream.Context(), transportGRPC, "protobuf", b, decodeErrors(b))
		total.Accepted += resp.GetAccepted()
		total.Rejected += resp.GetRejected()
		for _, e := range resp.GetErrors() {
			if len(total.Errors) < maxReportedErrors {
				e.Index += offset // index within the whole stream
				total.Errors = append(total.Errors, e)
			}
		}
		offset += int32(len(b.GetSpans()))
		if ierr != nil {
			return grpcError(total, ierr)
		}
	}
}

// StartSession records the start of an agent run.
func (r *agentTraceReceiver) StartSession(ctx context.Context, req *atv1.StartSessionRequest) (*atv1.StartSessionResponse, error) {
	resp, err := r.startSession(ctx, transportGRPC, req)
	return resp, sessionGRPCError(err)
}

// EndSession records the end of an agent run and returns its summary.
func (r *agentTraceReceiver) EndSession(ctx context.Context, req *atv1.EndSessionRequest) (*atv1.EndSessionResponse, error) {
	resp, err := r.endSession(ctx, transportGRPC, req)
	return resp, sessionGRPCError(err)
}

func sessionGRPCError(err error) error {
	var bad *badRequestError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bad):
		return status.Error(codes.InvalidArgument, err.Error())
	case consumererror.IsPermanent(err):
		return status.Error(codes.InvalidArgument, err.Error())
	case isRateLimited(err):
		return status.Convert(err).Err()
	}
	return status.Error(codes.Unavailable, err.Error())
}

// Health reports that the receiver accepts data, and the collector version.
func (r *agentTraceReceiver) Health(context.Context, *atv1.HealthRequest) (*atv1.HealthResponse, error) {
	return r.health(), nil
}

func (r *agentTraceReceiver) health() *atv1.HealthResponse {
	return &atv1.HealthResponse{Healthy: true, Version: r.set.BuildInfo.Version}
}
