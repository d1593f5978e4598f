package agenttracereceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// maxDatagram is larger than any UDP payload (65,507 bytes over IPv4), so a
// read never truncates silently.
const maxDatagram = 64 << 10

func (r *agentTraceReceiver) startUDP(_ context.Context, host component.Host) error {
	cfg := r.cfg.UDP.Get()
	if cfg == nil {
		return nil
	}
	addr, err := net.ResolveUDPAddr("udp", cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("udp.endpoint %q: %w", cfg.Endpoint, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return fmt.Errorf("udp listen %s: %w", cfg.Endpoint, err)
	}
	if cfg.ReadBufferBytes > 0 {
		// The kernel may cap this (net.core.rmem_max); a smaller buffer only
		// means more drops under bursts, so it is not fatal.
		if err := conn.SetReadBuffer(cfg.ReadBufferBytes); err != nil {
			r.set.Logger.Warn("could not set UDP read buffer", zap.Int("bytes", cfg.ReadBufferBytes), zap.Error(err))
		}
	}
	r.udpConn = conn
	r.set.Logger.Info("Native UDP server listening", zap.String("endpoint", conn.LocalAddr().String()))
	for i := 0; i < cfg.Workers; i++ {
		r.serve(host, transportUDP, func() error { return r.readUDP(conn) }, net.ErrClosed)
	}
	return nil
}

// readUDP handles datagrams until the socket closes. Each datagram is one
// protobuf SpanBatch; there is no one to answer, so rejections are logged
// (rate-limited by the logger's sampling) and counted.
func (r *agentTraceReceiver) readUDP(conn *net.UDPConn) error {
	buf := make([]byte, maxDatagram)
	oob := make([]byte, 0)
	for {
		n, _, flags, _, err := conn.ReadMsgUDP(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			r.set.Logger.Debug("UDP read failed", zap.Error(err))
			continue
		}
		ctx := context.Background()
		if flags&syscall.MSG_TRUNC != 0 {
			r.countRejected(ctx, transportUDP, reasonOversize, 1)
			continue
		}
		b, derr := decodeBatchProto(buf[:n])
		if derr != nil {
			r.countRejected(ctx, transportUDP, reasonMalformed, 1)
			if len(b.GetSpans()) == 0 {
				r.set.Logger.Debug("malformed UDP datagram dropped", zap.Int("bytes", n), zap.Error(derr))
				continue
			}
		}
		resp, ierr := r.ingest(ctx, transportUDP, "protobuf", b, decodeErrors(b))
		if ierr != nil {
			r.set.Logger.Debug("UDP spans refused by the pipeline", zap.Int64("spans", resp.GetRejected()), zap.Error(ierr))
		} else if resp.GetRejected() > 0 {
			r.set.Logger.Debug("UDP spans rejected", zap.String("reason", summarize(resp)))
		}
	}
}
