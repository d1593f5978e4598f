package timescaledbexporter

// Fault-injection tests: they restart the machine's PostgreSQL and stop
// Redis, so they run only with AGENTTRACE_FAULT_TESTS=1 (and restore both
// services when they end, pass or fail).

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/agenttrace/agenttrace/exporter/redisexporter"
	"github.com/agenttrace/agenttrace/internal/live"
	"github.com/agenttrace/agenttrace/internal/live/livetest"
)

func requireFaultTests(t *testing.T) {
	t.Helper()
	if os.Getenv("AGENTTRACE_FAULT_TESTS") != "1" {
		t.Skip("restarts PostgreSQL and Redis on this machine; set AGENTTRACE_FAULT_TESTS=1 to run")
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Logf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ensurePostgres starts the cluster if it is down.
func ensurePostgres(t *testing.T) {
	if !strings.Contains(run(t, "pg_lsclusters", "-h"), "online") {
		run(t, "pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start")
	}
}

func startRedis(t *testing.T) {
	run(t, "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no")
	for i := 0; i < 50; i++ {
		if strings.TrimSpace(run(t, "redis-cli", "ping")) == "PONG" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error("redis did not come back")
}

// host provides extensions to components started by hand.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

func fileStorage(t *testing.T, dir string) (host, component.ID, func()) {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	id := component.MustNewID("file_storage")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return host{id: ext}, id, func() { require.NoError(t, ext.Shutdown(context.Background())) }
}

// retryLogs counts the exporter's "will retry" log entries.
var retryLogs *observer.ObservedLogs

func faultExporter(t *testing.T, cfg *Config, h host) exporter.Traces {
	set := exportertest.NewNopSettings(Type)
	// A stable id, as in a collector config: the persistent queue's file is
	// named after it, so a restarted exporter finds its queue.
	set.ID = component.NewID(Type)
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	retryLogs = logs
	exp, err := NewFactory().CreateTraces(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), h))
	return exp
}

// TestPostgresRestartUnderLoad: a load run during which PostgreSQL restarts
// (and the collector's exporter restarts too, resuming from its persistent
// queue) ends with every acknowledged span stored exactly once.
func TestPostgresRestartUnderLoad(t *testing.T) {
	requireFaultTests(t)
	t.Cleanup(func() { ensurePostgres(t) })
	cfg := testConfig(t)
	cfg.MaxConns = 4
	q := cfg.QueueConfig.Get()
	q.NumConsumers = 4
	storageDir := t.TempDir()
	h, storageID, stopStorage := fileStorage(t, storageDir)
	q.StorageID = &storageID
	cfg.QueueConfig = configoptional.Some(*q)
	cfg.RetryConfig.InitialInterval = 100 * time.Millisecond
	cfg.RetryConfig.MaxInterval = time.Second
	cfg.RetryConfig.MaxElapsedTime = 5 * time.Minute

	exp := faultExporter(t, cfg, h)
	firstLogs := retryLogs
	const batches, tracesPer, spansPer = 400, 50, 5 // 100,000 spans
	var acked, refused int
	restarted := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < batches; i++ {
		if i == batches/4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Log("restarting PostgreSQL")
				run(t, "pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart")
				t.Log("PostgreSQL restarted")
				close(restarted)
			}()
		}
		if err := exp.ConsumeTraces(context.Background(), genTraces(i*tracesPer, tracesPer, spansPer)); err != nil {
			refused += tracesPer * spansPer
		} else {
			acked += tracesPer * spansPer
		}
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	<-restarted
	// A collector restart in the middle of the drain: whatever is still
	// queued stays in file storage and is sent by the next instance.
	require.NoError(t, exp.Shutdown(context.Background()))
	t.Logf("first exporter: %d export attempts failed and were retried", firstLogs.FilterMessageSnippet("retry").Len())
	for _, e := range firstLogs.FilterLevelExact(zap.WarnLevel).All() {
		t.Logf("  warn: %s %v", e.Message, e.ContextMap())
	}
	for _, e := range firstLogs.FilterLevelExact(zap.ErrorLevel).All() {
		t.Logf("  error: %s %v", e.Message, e.ContextMap())
	}
	if e := firstLogs.FilterMessageSnippet("retry").All(); len(e) > 0 {
		t.Logf("  first retry: %v; last: %v", e[0].ContextMap()["error"], e[len(e)-1].ContextMap()["error"])
	}
	stopStorage()
	h2, _, stopStorage2 := fileStorage(t, storageDir)
	defer stopStorage2()
	exp2 := faultExporter(t, cfg, h2)
	defer func() { require.NoError(t, exp2.Shutdown(context.Background())) }()

	s := openStore(t, cfg)
	ctx := context.Background()
	var rows, distinct, summed, sessionSum int64
	deadline := time.Now().Add(3 * time.Minute)
	lastChange, lastRows := time.Now(), int64(-1)
	for time.Now().Before(deadline) && time.Since(lastChange) < 20*time.Second {
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT (trace_id, span_id)),
			(SELECT coalesce(sum(span_count), 0) FROM traces), (SELECT coalesce(sum(span_count), 0) FROM sessions) FROM spans`).
			Scan(&rows, &distinct, &summed, &sessionSum))
		if rows >= int64(acked) {
			break
		}
		if rows != lastRows {
			lastChange, lastRows = time.Now(), rows
		}
		time.Sleep(500 * time.Millisecond)
	}
	if rows < int64(acked) {
		// Which requests (batches of tracesPer traces) are missing?
		have := map[string]bool{}
		r, err := s.Pool().Query(ctx, "SELECT DISTINCT trace_id FROM spans")
		require.NoError(t, err)
		for r.Next() {
			var id string
			require.NoError(t, r.Scan(&id))
			have[id] = true
		}
		r.Close()
		missing := map[int]int{}
		for tr := 0; tr < batches*tracesPer; tr++ {
			if !have[traceIDOf(uint64(tr)).String()] {
				missing[tr/tracesPer]++
			}
		}
		t.Logf("missing traces by request index (restart at %d): %v", batches/4, missing)
		for _, e := range retryLogs.All() {
			t.Logf("  second exporter: %s %s %v", e.Level, e.Message, e.ContextMap())
		}
	}
	t.Logf("acknowledged %d spans (refused %d); stored rows %d, distinct %d, trace totals %d, session totals %d; failed attempts retried (second exporter): %d",
		acked, refused, rows, distinct, summed, sessionSum, retryLogs.FilterMessageSnippet("retry").Len())
	assert.Equal(t, int64(acked), distinct, "every acknowledged span stored")
	assert.Equal(t, rows, distinct, "no span stored twice")
	assert.Equal(t, rows, summed, "trace summaries count each span once")
	assert.Equal(t, rows, sessionSum, "session totals count each span once")
	var traces int64
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM traces WHERE span_count <> $1", spansPer).Scan(&traces))
	assert.Zero(t, traces, "every trace has exactly its spans")
}

// TestRedisDownStorageUnaffected: with Redis stopped, spans still reach
// PostgreSQL through the same pipeline, and live counters resume once
// Redis is back.
func TestRedisDownStorageUnaffected(t *testing.T) {
	requireFaultTests(t)
	addr := livetest.Addr(t)
	prefix := livetest.Prefix(t, addr)
	t.Cleanup(func() { startRedis(t) })

	cfg := testConfig(t)
	pg := faultExporter(t, cfg, host{})
	defer func() { require.NoError(t, pg.Shutdown(context.Background())) }()
	rcfg := redisexporter.NewFactory().CreateDefaultConfig().(*redisexporter.Config)
	rcfg.Endpoint, rcfg.KeyPrefix = addr, prefix
	rcfg.FlushInterval, rcfg.Timeout = 20*time.Millisecond, 300*time.Millisecond
	rexp, err := redisexporter.NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(redisexporter.Type), rcfg)
	require.NoError(t, err)
	require.NoError(t, rexp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, rexp.Shutdown(context.Background())) }()

	// The collector's fan-out calls each exporter in turn, giving a copy
	// to consumers that mutate data (the batching queue does).
	require.True(t, pg.Capabilities().MutatesData)
	var maxRedisPush time.Duration
	fanout := func(td ptrace.Traces) {
		cp := ptrace.NewTraces()
		td.CopyTo(cp)
		require.NoError(t, pg.ConsumeTraces(context.Background(), cp))
		begin := time.Now()
		require.NoError(t, rexp.ConsumeTraces(context.Background(), td), "the live exporter never fails the pipeline")
		maxRedisPush = max(maxRedisPush, time.Since(begin))
	}
	const perBatch = 100 // 20 traces x 5 spans
	send := func(from, n int) {
		for i := 0; i < n; i++ {
			fanout(genTraces((from+i)*20, 20, 5))
			time.Sleep(5 * time.Millisecond)
		}
	}
	rdb, _ := livetest.Client(t)
	reader := live.NewReader(rdb, prefix)
	liveSpans := func() int64 {
		mcs, err := reader.Counters(context.Background(), time.Now().Add(-5*time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			return -1
		}
		var n int64
		for _, m := range mcs {
			n += m.Spans
		}
		return n
	}

	send(0, 50)
	require.Eventually(t, func() bool { return liveSpans() == 50*perBatch }, 10*time.Second, 50*time.Millisecond,
		"live spans %d", liveSpans())

	t.Log("stopping Redis")
	run(t, "redis-cli", "shutdown", "nosave")
	send(50, 100)
	t.Log("starting Redis")
	startRedis(t)
	// The client reconnects by itself (go-redis re-dials about once a
	// second after repeated failures): keep sending until spans show up.
	sent := 150
	require.Eventually(t, func() bool {
		send(sent, 1)
		sent++
		time.Sleep(50 * time.Millisecond)
		return liveSpans() > 0
	}, 15*time.Second, 10*time.Millisecond, "counters resume")
	reconnectBatches := sent - 150
	time.Sleep(200 * time.Millisecond)
	before := liveSpans()
	send(sent, 50)
	sent += 50
	require.Eventually(t, func() bool { return liveSpans() == before+50*perBatch }, 10*time.Second, 50*time.Millisecond,
		"every span published after the reconnect is counted (have %d, want %d)", liveSpans(), before+50*perBatch)
	resumed := liveSpans()

	// Everything reached PostgreSQL.
	s := openStore(t, cfg)
	var rows int64
	require.Eventually(t, func() bool {
		_ = s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM spans").Scan(&rows)
		return rows == int64(sent*perBatch)
	}, time.Minute, 200*time.Millisecond, "all spans stored despite Redis being down (have %d)", rows)
	t.Logf("stored %d spans in PostgreSQL (%d sent while Redis was down); live counters resumed after %d probe batches, %d spans counted since the restart; slowest redis push %s",
		rows, 100*perBatch, reconnectBatches, resumed, maxRedisPush)
	assert.Less(t, maxRedisPush, 50*time.Millisecond, "the live exporter never blocks the pipeline")
}

// TestCollectorRestartDuringOutage: spans acknowledged while PostgreSQL is
// down sit in the persistent queue (some of them in retry back-off when the
// collector stops); after the collector and the database come back, every
// one of them is stored exactly once.
func TestCollectorRestartDuringOutage(t *testing.T) {
	requireFaultTests(t)
	t.Cleanup(func() { ensurePostgres(t) })
	cfg := testConfig(t)
	q := cfg.QueueConfig.Get()
	storageDir := t.TempDir()
	h, storageID, stopStorage := fileStorage(t, storageDir)
	q.StorageID = &storageID
	cfg.QueueConfig = configoptional.Some(*q)
	cfg.RetryConfig.InitialInterval = 100 * time.Millisecond
	cfg.RetryConfig.MaxInterval = time.Second

	exp := faultExporter(t, cfg, h)
	firstLogs := retryLogs
	// Create the schema first, then take the database away.
	require.NoError(t, exp.ConsumeTraces(context.Background(), genTraces(0, 10, 5)))
	time.Sleep(time.Second)
	run(t, "pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "stop", "-m", "fast")
	acked := 50
	for i := 1; i <= 80; i++ {
		if err := exp.ConsumeTraces(context.Background(), genTraces(i*50, 50, 5)); err == nil {
			acked += 250
		}
	}
	time.Sleep(2 * time.Second) // let consumers pick requests up and fail
	require.NoError(t, exp.Shutdown(context.Background()))
	t.Logf("first exporter: %d attempts failed while the database was down", firstLogs.FilterMessageSnippet("retry").Len())
	for _, e := range firstLogs.FilterLevelExact(zap.ErrorLevel).All() {
		t.Logf("  error: %s %v", e.Message, e.ContextMap())
	}
	stopStorage()
	ensurePostgres(t)

	h2, _, stopStorage2 := fileStorage(t, storageDir)
	defer stopStorage2()
	exp2 := faultExporter(t, cfg, h2)
	defer func() { require.NoError(t, exp2.Shutdown(context.Background())) }()
	s := openStore(t, cfg)
	var rows, summed int64
	defer func() {
		for _, e := range retryLogs.All() {
			t.Logf("  second exporter: %s %s %v", e.Level, e.Message, e.ContextMap())
		}
	}()
	require.Eventually(t, func() bool {
		_ = s.Pool().QueryRow(context.Background(), "SELECT count(*), (SELECT coalesce(sum(span_count),0) FROM traces) FROM spans").Scan(&rows, &summed)
		return rows >= int64(acked)
	}, 30*time.Second, 500*time.Millisecond, "stored %d of %d acknowledged", rows, acked)
	t.Logf("acknowledged %d spans during the outage; stored %d rows, trace totals %d", acked, rows, summed)
	assert.Equal(t, int64(acked), rows)
	assert.Equal(t, rows, summed)
}
