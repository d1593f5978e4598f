// Package sqliteexporter stores spans, trace summaries and sessions in the
// embedded SQLite store (the local-mode default). It uses exporterhelper for
// its queue, batching, timeout and retries; Shutdown drains the queue, so
// everything the pipeline acknowledged is written.
package sqliteexporter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"modernc.org/sqlite"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

type sqliteExporter struct {
	cfg   *Config
	log   *zap.Logger
	store *sqlitestore.Store
}

func newExporter(cfg *Config, set exporter.Settings) *sqliteExporter {
	return &sqliteExporter{cfg: cfg, log: set.Logger}
}

func (e *sqliteExporter) start(ctx context.Context, _ component.Host) error {
	s, err := sqlitestore.Open(ctx, e.cfg.Path)
	if err != nil {
		return fmt.Errorf("sqlite exporter: %w", err)
	}
	e.store = s
	e.log.Info("SQLite store ready", zap.String("path", e.cfg.Path))
	return nil
}

func (e *sqliteExporter) shutdown(context.Context) error {
	if e.store == nil {
		return nil
	}
	err := e.store.Close()
	e.store = nil
	return err
}

func (e *sqliteExporter) push(ctx context.Context, td ptrace.Traces) error {
	b := storage.FromTraces(td)
	err := e.store.Write(ctx, b)
	if err == nil {
		return nil
	}
	if isPermanent(err) {
		return consumererror.NewPermanent(fmt.Errorf("sqlite exporter: %d spans rejected: %w", len(b.Spans), err))
	}
	if isFull(err) {
		// Retryable: the batch stays queued and is written once space is
		// freed. The message names the file so the operator knows where.
		err = fmt.Errorf("SQLite database is full: %s (free space on its volume; %d spans stay queued and are retried): %w",
			e.cfg.Path, len(b.Spans), err)
		e.log.Error("Writing to the SQLite store failed", zap.Error(err))
	}
	return err // retryable: busy database, full disk, I/O error
}

// sqliteFull is SQLITE_FULL, the primary result code of a write that found
// no space (the disk, or the database's max_page_count).
const sqliteFull = 13

// isFull reports a write that failed for lack of space.
func isFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqliteFull
	}
	return strings.Contains(err.Error(), "SQLITE_FULL") || strings.Contains(err.Error(), "disk is full")
}

// isPermanent reports errors that retrying the same batch cannot fix.
func isPermanent(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_CONSTRAINT") || strings.Contains(msg, "SQLITE_TOOBIG") ||
		strings.Contains(msg, "SQLITE_MISMATCH")
}
