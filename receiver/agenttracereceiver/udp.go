package agenttracereceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
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
		setReadBuffer(conn, cfg.ReadBufferBytes, r.set.Logger)
	}
	if cfg.Auth.HasValue() {
		r.udpAuth, err = udpAuthenticator(host, cfg.Auth.Get().AuthenticatorID)
		if err != nil {
			conn.Close()
			return err
		}
	}
	r.udpConn = conn
	r.set.Logger.Info("Native UDP server listening", zap.String("endpoint", conn.LocalAddr().String()))
	// One reader drains the socket as fast as it can into a bounded queue;
	// workers decode and ingest. Bursts wait in the queue instead of
	// overflowing the kernel buffer.
	datagrams := make(chan []byte, udpQueueDatagrams)
	r.serve(host, transportUDP, func() error {
		defer close(datagrams)
		return r.readUDP(conn, datagrams)
	}, net.ErrClosed)
	for i := 0; i < cfg.Workers; i++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for d := range datagrams {
				r.handleDatagram(d)
			}
		}()
	}
	return nil
}

// udpAuthenticator finds the extension named by udp.auth.authenticator; it
// must authenticate raw secrets (agenttraceauth does).
func udpAuthenticator(host component.Host, id component.ID) (agenttraceauthextension.SecretAuthenticator, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("udp.auth.authenticator: extension %q not found (add it under extensions and service.extensions)", id)
	}
	a, ok := ext.(agenttraceauthextension.SecretAuthenticator)
	if !ok {
		return nil, fmt.Errorf("udp.auth.authenticator: extension %q cannot check a datagram's api_key (use %s)", id, agenttraceauthextension.Type)
	}
	return a, nil
}

// udpQueueDatagrams bounds the datagrams read but not yet ingested (at most
// 64 KiB each).
const udpQueueDatagrams = 512

// setReadBuffer asks for an SO_RCVBUF of the given size. The kernel caps
// SO_RCVBUF at net.core.rmem_max; a privileged process may exceed it with
// SO_RCVBUFFORCE. A smaller buffer only means more drops in bursts.
func setReadBuffer(conn *net.UDPConn, bytes int, log *zap.Logger) {
	if err := conn.SetReadBuffer(bytes); err != nil {
		log.Warn("could not set UDP read buffer", zap.Int("bytes", bytes), zap.Error(err))
		return
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	var got int
	_ = raw.Control(func(fd uintptr) {
		got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		if got/2 < bytes { // Linux reports double the usable size
			if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, bytes) == nil {
				got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
			}
		}
	})
	if got/2 < bytes {
		log.Info("UDP read buffer capped by the kernel (raise net.core.rmem_max for fewer drops in bursts)",
			zap.Int("requested", bytes), zap.Int("granted", got/2))
	}
}

// readUDP reads datagrams until the socket closes. Each datagram is one
// protobuf SpanBatch.
func (r *agentTraceReceiver) readUDP(conn *net.UDPConn, out chan<- []byte) error {
	buf := make([]byte, maxDatagram)
	for {
		n, _, flags, _, err := conn.ReadMsgUDP(buf, nil)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			r.set.Logger.Debug("UDP read failed", zap.Error(err))
			continue
		}
		if flags&syscall.MSG_TRUNC != 0 {
			r.countRejected(context.Background(), transportUDP, reasonOversize, 1)
			continue
		}
		out <- append([]byte(nil), buf[:n]...)
	}
}

// handleDatagram ingests one datagram; there is no one to answer, so
// rejections are logged at debug level and counted.
func (r *agentTraceReceiver) handleDatagram(d []byte) {
	ctx := context.Background()
	b, derr := splitBatchProto(d)
	if derr != nil {
		r.countRejected(ctx, transportUDP, reasonMalformed, 1)
		if len(b.spans) == 0 {
			r.set.Logger.Debug("malformed UDP datagram dropped", zap.Int("bytes", len(d)), zap.Error(derr))
			return
		}
	}
	if r.udpAuth != nil {
		var aerr error
		ctx, aerr = r.udpAuth.AuthenticateSecret(ctx, b.apiKey)
		if aerr != nil {
			r.countRejected(ctx, transportUDP, reasonUnauthenticated, max(1, len(b.spans)))
			r.set.Logger.Debug("UDP datagram without a valid api_key dropped", zap.Int("spans", len(b.spans)), zap.Error(aerr))
			return
		}
	}
	resp, ierr := r.ingest(ctx, transportUDP, "protobuf", len(b.spans), func() converted { return r.conv.convertWire(b) })
	if ierr != nil {
		r.set.Logger.Debug("UDP spans refused by the pipeline", zap.Int64("spans", resp.GetRejected()), zap.Error(ierr))
	} else if resp.GetRejected() > 0 {
		r.set.Logger.Debug("UDP spans rejected", zap.String("reason", summarize(resp)))
	}
}
