package agenttracereceiver

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"

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
	// Stream workers: each RPC otherwise runs on a new goroutine whose
	// stack grows (and is copied) to the depth of decoding and the
	// processors on every request; workers keep their grown stacks.
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings,
		configgrpc.WithGrpcServerOption(grpc.ForceServerCodecV2(newLaxCodec())),
		configgrpc.WithGrpcServerOption(grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0)))))
	if err != nil {
		return err
	}
	srv.RegisterService(serviceDesc(), r)
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

// serviceDesc is atv1's AgentTraceCollector service with SendSpans and
// StreamSpans taking grpcBatch (see laxCodec) instead of atv1.SpanBatch.
func serviceDesc() *grpc.ServiceDesc {
	desc := atv1.AgentTraceCollector_ServiceDesc
	desc.Methods = slices.Clone(desc.Methods)
	for i := range desc.Methods {
		if desc.Methods[i].MethodName == "SendSpans" {
			desc.Methods[i].Handler = sendSpansHandler
		}
	}
	desc.Streams = slices.Clone(desc.Streams)
	for i := range desc.Streams {
		if desc.Streams[i].StreamName == "StreamSpans" {
			desc.Streams[i].Handler = streamSpansHandler
		}
	}
	return &desc
}

// sendSpansHandler is the generated SendSpans handler, for a grpcBatch.
func sendSpansHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := &grpcBatch{}
	if err := dec(in); err != nil {
		return nil, err
	}
	defer in.free()
	r := srv.(*agentTraceReceiver)
	if interceptor == nil {
		return r.sendSpans(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: atv1.AgentTraceCollector_SendSpans_FullMethodName}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return r.sendSpans(ctx, req.(*grpcBatch))
	})
}

// sendSpans ingests one batch.
func (r *agentTraceReceiver) sendSpans(ctx context.Context, b *grpcBatch) (*atv1.SendSpansResponse, error) {
	resp, err := r.ingest(ctx, transportGRPC, "protobuf", len(b.spans), func() converted { return r.conv.convertWire(b.wireBatch) })
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
	b := &atv1.SpanBatch{Spans: []*atv1.Span{req.GetSpan()}}
	resp, err := r.ingest(ctx, transportGRPC, "protobuf", 1, func() converted { return r.conv.convertProto(b, nil) })
	if gerr := grpcError(resp, err); gerr != nil {
		return nil, gerr
	}
	return resp, nil
}

func streamSpansHandler(srv any, stream grpc.ServerStream) error {
	return srv.(*agentTraceReceiver).streamSpans(stream)
}

// streamSpans ingests a stream of batches and answers with the totals when
// the client closes its side. A refusing pipeline ends the stream with
// Unavailable; batches acknowledged before that were accepted.
func (r *agentTraceReceiver) streamSpans(stream grpc.ServerStream) error {
	total := &atv1.SendSpansResponse{}
	offset := int32(0)
	for {
		b := &grpcBatch{}
		err := stream.RecvMsg(b)
		if errors.Is(err, io.EOF) {
			return stream.SendMsg(total)
		}
		if err != nil {
			return err
		}
		resp, ierr := r.ingest(stream.Context(), transportGRPC, "protobuf", len(b.spans), func() converted { return r.conv.convertWire(b.wireBatch) })
		b.free()
		total.Accepted += resp.GetAccepted()
		total.Rejected += resp.GetRejected()
		for _, e := range resp.GetErrors() {
			if len(total.Errors) < maxReportedErrors {
				e.Index += offset // index within the whole stream
				total.Errors = append(total.Errors, e)
			}
		}
		offset += int32(len(b.spans))
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
