package agenttrace

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// GRPCOptions configures the gRPC exporter.
type GRPCOptions struct {
	// Addr is host:port of the native gRPC receiver (default 127.0.0.1:4320).
	Addr string
	// APIKey, when set, is sent as "authorization: Bearer <key>".
	APIKey string
	// Timeout bounds each call without a deadline of its own (default 2 s).
	Timeout time.Duration
	// DialOptions are added to the defaults (insecure transport credentials).
	DialOptions []grpc.DialOption
}

// GRPCExporter sends batches with the AgentTraceCollector service's SendSpans.
type GRPCExporter struct {
	opts   GRPCOptions
	conn   *grpc.ClientConn
	client atv1.AgentTraceCollectorClient
	once   sync.Once
}

var _ Exporter = (*GRPCExporter)(nil)

// NewGRPCExporter creates the exporter. The connection is made lazily: this
// does no network I/O.
func NewGRPCExporter(o GRPCOptions) (*GRPCExporter, error) {
	if o.Addr == "" {
		o.Addr = DefaultGRPCAddr
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	dial := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, o.DialOptions...)
	conn, err := grpc.NewClient(o.Addr, dial...)
	if err != nil {
		return nil, fmt.Errorf("agenttrace: grpc exporter %s: %w", o.Addr, err)
	}
	return &GRPCExporter{opts: o, conn: conn, client: atv1.NewAgentTraceCollectorClient(conn)}, nil
}

// Client is the generated service client (for Health and StreamSpans).
func (e *GRPCExporter) Client() atv1.AgentTraceCollectorClient { return e.client }

func (e *GRPCExporter) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.opts.APIKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e.opts.APIKey)
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, e.opts.Timeout)
}

// Export sends one batch with SendSpans.
func (e *GRPCExporter) Export(ctx context.Context, b *atv1.SpanBatch) error {
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	resp, err := e.client.SendSpans(ctx, b)
	if err != nil {
		// A mixed batch fails with InvalidArgument carrying the response
		// (accepted and rejected counts) as a status detail.
		if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument {
			for _, d := range st.Details() {
				if r, ok := d.(*atv1.SendSpansResponse); ok && r.GetRejected() > 0 {
					return partialFromResponse(r)
				}
			}
		}
		return fmt.Errorf("agenttrace: grpc SendSpans: %w", err)
	}
	return partialFromResponse(resp)
}

// StartSession calls StartSession.
func (e *GRPCExporter) StartSession(ctx context.Context, req *atv1.StartSessionRequest) error {
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	if _, err := e.client.StartSession(ctx, req); err != nil {
		return fmt.Errorf("agenttrace: grpc StartSession: %w", err)
	}
	return nil
}

// EndSession calls EndSession and returns the summary.
func (e *GRPCExporter) EndSession(ctx context.Context, req *atv1.EndSessionRequest) (*atv1.SessionSummary, error) {
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	resp, err := e.client.EndSession(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("agenttrace: grpc EndSession: %w", err)
	}
	return resp.GetSummary(), nil
}

// Shutdown closes the connection.
func (e *GRPCExporter) Shutdown(context.Context) error {
	var err error
	e.once.Do(func() { err = e.conn.Close() })
	return err
}
