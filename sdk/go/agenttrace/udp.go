package agenttrace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// MaxDatagramBytes bounds each UDP datagram (one protobuf SpanBatch), well
// under the 65,507-byte IPv4 limit.
const MaxDatagramBytes = 60_000

// UDPOptions configures the UDP exporter.
type UDPOptions struct {
	// Addr is host:port of the native UDP receiver (default 127.0.0.1:4322).
	Addr string
	// SessionEndpoint is the native HTTP API used for sessions, which need
	// an answer (default http://127.0.0.1:4321).
	SessionEndpoint string
	// APIKey, when set, is sent in every datagram's SpanBatch.api_key (UDP
	// has no headers) and as "Authorization: Bearer <key>" with session
	// requests.
	APIKey string
	// Timeout bounds session requests (default 2 s).
	Timeout time.Duration
	// MaxDatagramBytes overrides MaxDatagramBytes (smaller only).
	MaxDatagramBytes int
}

// UDPExporter sends each batch as one or more datagrams, each a protobuf
// SpanBatch smaller than MaxDatagramBytes. It is fire-and-forget: a span
// counts as sent once written to the socket, and bursts can overflow the
// receiver's socket buffer; use gRPC or HTTP when every span counts.
type UDPExporter struct {
	opts     UDPOptions
	sessions *HTTPExporter
	max      int

	mu   sync.Mutex
	conn *net.UDPConn
	buf  []byte
}

var _ Exporter = (*UDPExporter)(nil)

// NewUDPExporter creates the exporter. It resolves Addr but sends nothing.
func NewUDPExporter(o UDPOptions) (*UDPExporter, error) {
	if o.Addr == "" {
		o.Addr = DefaultUDPAddr
	}
	addr, err := net.ResolveUDPAddr("udp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("agenttrace: udp exporter %s: %w", o.Addr, err)
	}
	conn, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return nil, fmt.Errorf("agenttrace: udp exporter %s: %w", o.Addr, err)
	}
	_ = conn.SetWriteBuffer(4 << 20)
	sess, err := NewHTTPExporter(HTTPOptions{Endpoint: o.SessionEndpoint, APIKey: o.APIKey, Timeout: o.Timeout})
	if err != nil {
		conn.Close()
		return nil, err
	}
	e := &UDPExporter{opts: o, sessions: sess, conn: conn, max: MaxDatagramBytes}
	if o.MaxDatagramBytes > 0 && o.MaxDatagramBytes < e.max {
		e.max = o.MaxDatagramBytes
	}
	return e, nil
}

// Export writes the batch as datagrams. Spans too large for one datagram
// are sent with their prompt, response and tool text cut.
func (e *UDPExporter) Export(_ context.Context, b *atv1.SpanBatch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return errors.New("agenttrace: udp exporter is shut down")
	}
	var sent int64
	if e.opts.APIKey != "" && b.ApiKey != e.opts.APIKey {
		b = &atv1.SpanBatch{Spans: b.Spans, ServiceName: b.ServiceName, SdkVersion: b.SdkVersion, ApiKey: e.opts.APIKey}
	}
	for _, part := range SplitBatch(b, e.max) {
		var err error
		e.buf, err = proto.MarshalOptions{}.MarshalAppend(e.buf[:0], part)
		if err == nil {
			_, err = e.conn.Write(e.buf)
		}
		if err != nil {
			return &PartialError{Accepted: sent, Rejected: int64(len(b.Spans)) - sent,
				Errors: []*atv1.SpanError{{Index: int32(sent), Field: "spans", Message: err.Error()}}}
		}
		sent += int64(len(part.Spans))
	}
	return nil
}

// SplitBatch splits b into batches whose protobuf encoding is at most max
// bytes. A span larger than that on its own is replaced by a copy with its
// text fields cut to fit.
func SplitBatch(b *atv1.SpanBatch, max int) []*atv1.SpanBatch {
	head := 0
	if b.ServiceName != "" {
		head += protowire.SizeTag(2) + protowire.SizeBytes(len(b.ServiceName))
	}
	if b.SdkVersion != "" {
		head += protowire.SizeTag(3) + protowire.SizeBytes(len(b.SdkVersion))
	}
	if b.ApiKey != "" {
		head += protowire.SizeTag(4) + protowire.SizeBytes(len(b.ApiKey))
	}
	var out []*atv1.SpanBatch
	cur := &atv1.SpanBatch{ServiceName: b.ServiceName, SdkVersion: b.SdkVersion, ApiKey: b.ApiKey}
	size := head
	for _, sp := range b.Spans {
		n := proto.Size(sp)
		if head+protowire.SizeTag(1)+protowire.SizeBytes(n) > max {
			sp = shrink(sp, n-(max-head-16))
			n = proto.Size(sp)
		}
		entry := protowire.SizeTag(1) + protowire.SizeBytes(n)
		if size+entry > max && len(cur.Spans) > 0 {
			out = append(out, cur)
			cur = &atv1.SpanBatch{ServiceName: b.ServiceName, SdkVersion: b.SdkVersion, ApiKey: b.ApiKey}
			size = head
		}
		cur.Spans = append(cur.Spans, sp)
		size += entry
	}
	if len(cur.Spans) > 0 {
		out = append(out, cur)
	}
	return out
}

// shrink returns a copy of sp with its largest text fields cut by at least
// excess bytes in total (plus room for the cut marker).
func shrink(sp *atv1.Span, excess int) *atv1.Span {
	c := proto.Clone(sp).(*atv1.Span)
	fields := []*string{&c.Prompt, &c.Response}
	if c.Tool != nil {
		fields = append(fields, &c.Tool.Input, &c.Tool.Output)
	}
	for excess > 0 {
		var big *string
		for _, f := range fields {
			if big == nil || len(*f) > len(*big) {
				big = f
			}
		}
		if big == nil || len(*big) == 0 {
			// Text was not the problem (attributes, events): drop those.
			c.Attributes, c.Events = nil, nil
			return c
		}
		cut := min(len(*big), excess+64)
		keep := len(*big) - cut
		for keep > 0 && (*big)[keep]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			keep--
		}
		excess -= len(*big) - keep
		*big = (*big)[:keep]
	}
	return c
}

// StartSession posts to the HTTP session endpoint.
func (e *UDPExporter) StartSession(ctx context.Context, req *atv1.StartSessionRequest) error {
	return e.sessions.StartSession(ctx, req)
}

// EndSession posts to the HTTP session endpoint and returns the summary.
func (e *UDPExporter) EndSession(ctx context.Context, req *atv1.EndSessionRequest) (*atv1.SessionSummary, error) {
	return e.sessions.EndSession(ctx, req)
}

// Shutdown closes the socket.
func (e *UDPExporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if e.conn != nil {
		err = e.conn.Close()
		e.conn = nil
	}
	return errors.Join(err, e.sessions.Shutdown(ctx))
}
