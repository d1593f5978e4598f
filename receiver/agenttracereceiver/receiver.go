// Package agenttracereceiver implements the native AgentTrace receiver: the
// agenttrace.v1 protocol over gRPC, HTTP (JSON or protobuf), UDP and a unix
// socket. Native spans become pdata spans with canonical attributes; invalid
// spans are rejected one by one with errors naming the span index and field,
// while the valid spans of the same batch are accepted.
package agenttracereceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// Transports, as named in the receiver's own metrics.
const (
	transportGRPC = "grpc"
	transportHTTP = "http"
	transportUDP  = "udp"
	transportUnix = "unix"
)

// Rejection reasons counted in agenttrace_receiver_rejected_spans.
const (
	reasonInvalidSpan = "invalid_span"
	reasonMalformed   = "malformed"
	reasonOversize    = "oversize"
	reasonRefused     = "refused_downstream"
	// reasonUnauthenticated: a UDP datagram without a valid api_key (HTTP
	// and gRPC requests are refused by the auth interceptor before they
	// reach the receiver, as 401 / Unauthenticated).
	reasonUnauthenticated = "unauthenticated"
	// reasonRateLimited: the request's ingest key was over its spans/s limit.
	reasonRateLimited = "rate_limited"
)

// maxReportedErrors caps the per-span errors returned in one response.
const maxReportedErrors = 100

type agentTraceReceiver struct {
	atv1.UnimplementedAgentTraceCollectorServer

	cfg      *Config
	set      receiver.Settings
	next     consumer.Traces
	conv     converter
	sessions *sessionTracker
	obs      map[string]*receiverhelper.ObsReport
	rejected metric.Int64Counter

	grpcServer *grpc.Server
	httpServer *http.Server
	unixServer *http.Server
	udpConn    *net.UDPConn
	// udpAuth checks datagrams' api_key when udp.auth is set.
	udpAuth agenttraceauthextension.SecretAuthenticator
	// bound addresses (useful when configured with port 0)
	grpcAddr, httpAddr net.Addr
	wg                 sync.WaitGroup

	shutdownOnce sync.Once
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (*agentTraceReceiver, error) {
	r := &agentTraceReceiver{
		cfg:  cfg,
		set:  set,
		next: next,
		conv: converter{
			limits: limits{maxContentBytes: cfg.MaxContentBytes, maxAttributes: cfg.MaxAttributes, maxEvents: cfg.MaxEvents},
			now:    time.Now,
		},
		sessions: newSessionTracker(cfg.MaxTrackedSessions),
		obs:      map[string]*receiverhelper.ObsReport{},
	}
	for _, tr := range []string{transportGRPC, transportHTTP, transportUDP, transportUnix} {
		o, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
			ReceiverID: set.ID, Transport: tr, ReceiverCreateSettings: set,
		})
		if err != nil {
			return nil, err
		}
		r.obs[tr] = o
	}
	var err error
	r.rejected, err = set.MeterProvider.Meter(scopeName).Int64Counter("agenttrace_receiver_rejected_spans",
		metric.WithDescription("Spans (or undecodable payloads) the native receiver rejected, by transport and reason."),
		metric.WithUnit("{spans}"))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Start opens every enabled transport.
func (r *agentTraceReceiver) Start(ctx context.Context, host component.Host) error {
	starts := []func(context.Context, component.Host) error{r.startGRPC, r.startHTTP, r.startUDP, r.startUnix}
	for _, start := range starts {
		if err := start(ctx, host); err != nil {
			return errors.Join(err, r.Shutdown(ctx))
		}
	}
	return nil
}

// Shutdown stops accepting data and waits for in-flight requests, so that
// everything acknowledged has been handed to the next consumer. It is safe
// to call more than once and before Start.
func (r *agentTraceReceiver) Shutdown(ctx context.Context) error {
	var err error
	r.shutdownOnce.Do(func() {
		if r.httpServer != nil {
			err = errors.Join(err, r.httpServer.Shutdown(ctx))
		}
		if r.unixServer != nil {
			err = errors.Join(err, r.unixServer.Shutdown(ctx))
			if u := r.cfg.Unix.Get(); u != nil {
				_ = os.Remove(u.Path)
			}
		}
		if r.grpcServer != nil {
			r.grpcServer.GracefulStop()
		}
		if r.udpConn != nil {
			err = errors.Join(err, r.udpConn.Close())
		}
		r.wg.Wait()
	})
	return err
}

func (r *agentTraceReceiver) serve(host component.Host, what string, serve func() error, closed error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := serve(); err != nil && !errors.Is(err, closed) {
			r.set.Logger.Error("native receiver server stopped", zap.String("transport", what), zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
}

func (r *agentTraceReceiver) countRejected(ctx context.Context, transport, reason string, n int) {
	if n > 0 {
		r.rejected.Add(ctx, int64(n), metric.WithAttributes(
			attribute.String("transport", transport), attribute.String("reason", reason)))
	}
}

// ingest is the path every transport shares: validate and convert a batch,
// hand the valid spans to the pipeline, and report per-span errors. A
// non-nil error means the pipeline refused the valid spans (the client
// should retry them), or the request's ingest key is over its rate limit
// (a gRPC ResourceExhausted status: nothing was accepted); the response is
// still filled in. An authenticated request's spans are stamped with the
// key's project, overwriting anything the client sent.
//
// n is the batch's span count; convert decodes and converts it, and is
// called only when the batch is within the limits.
func (r *agentTraceReceiver) ingest(ctx context.Context, transport, format string, n int, convert func() converted) (*atv1.SendSpansResponse, error) {
	resp := &atv1.SendSpansResponse{}
	obs := r.obs[transport]
	if n > r.cfg.MaxSpansPerBatch {
		r.countRejected(ctx, transport, reasonOversize, n)
		resp.Rejected = int64(n)
		resp.Errors = []*atv1.SpanError{{Index: -1, Field: "spans", Message: fmt.Sprintf(
			"batch of %d spans exceeds max_spans_per_batch %d; split it", n, r.cfg.MaxSpansPerBatch)}}
		return resp, nil
	}
	ctx, id, lerr := agenttraceauthextension.Charge(ctx, n)
	if lerr != nil {
		r.countRejected(ctx, transport, reasonRateLimited, n)
		resp.Rejected = int64(n)
		resp.Errors = []*atv1.SpanError{{Index: -1, Field: "spans", Message: status.Convert(lerr).Message()}}
		return resp, lerr
	}
	conv := convert()
	td, errs := conv.td, conv.errs
	if id != nil {
		stampProject(td, id.Project)
	}
	if len(errs) > 0 {
		r.countRejected(ctx, transport, reasonInvalidSpan, len(errs))
		octx := obs.StartTracesOp(ctx)
		obs.EndTracesOp(octx, format, len(errs), consumererror.NewPermanent(errs[0]))
		resp.Rejected = int64(len(errs))
		for i, e := range errs {
			if i == maxReportedErrors {
				break
			}
			resp.Errors = append(resp.Errors, e.proto())
		}
	}
	n = td.SpanCount()
	if n == 0 {
		return resp, nil
	}
	// Session totals are observed before the pipeline takes ownership of td.
	r.sessions.observe(conv.sessions)
	octx := obs.StartTracesOp(ctx)
	err := r.next.ConsumeTraces(octx, td)
	obs.EndTracesOp(octx, format, n, err)
	if err != nil {
		r.countRejected(ctx, transport, reasonRefused, n)
		resp.Rejected += int64(n)
		return resp, err
	}
	resp.Accepted = int64(n)
	return resp, nil
}

// stampProject sets agenttrace.project on every resource of td.
func stampProject(td ptrace.Traces, project string) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rss.At(i).Resource().Attributes().PutStr(canonical.AttrProject, project)
	}
}

// isRateLimited reports whether err is an ingest key's rate-limit refusal
// (from this receiver or a processor further down the pipeline).
func isRateLimited(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.ResourceExhausted
}

// summarize renders a response's errors as one line for logs and gRPC.
func summarize(resp *atv1.SendSpansResponse) string {
	if len(resp.GetErrors()) == 0 {
		return ""
	}
	e := resp.GetErrors()[0]
	msg := fmt.Sprintf("%d of %d spans rejected; spans[%d].%s: %s", resp.GetRejected(),
		resp.GetRejected()+resp.GetAccepted(), e.GetIndex(), e.GetField(), e.GetMessage())
	if e.GetIndex() < 0 {
		msg = fmt.Sprintf("%d spans rejected; %s: %s", resp.GetRejected(), e.GetField(), e.GetMessage())
	}
	if len(resp.GetErrors()) > 1 {
		msg += fmt.Sprintf(" (and %d more, see details)", resp.GetRejected()-1)
	}
	return msg
}
