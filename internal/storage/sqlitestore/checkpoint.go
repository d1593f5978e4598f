package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

const (
	// walResetFrames is the write-ahead log length (in pages) at which the
	// writer, before its next transaction, waits for a checkpoint to copy
	// the rest of the log so that the transaction starts it over. Below it,
	// passive checkpoints run beside the writer and never hold it up.
	walResetFrames = 4096
	// walLimitBytes is journal_size_limit: a log that was started over is
	// truncated to this size on disk.
	walLimitBytes = 16 << 20
	// checkpointIdle is how often the checkpointer runs without writes
	// (after deletes, or another process's writes).
	checkpointIdle = time.Second
)

// checkpointer copies the write-ahead log back into the database file on a
// connection of its own, so most of the copying runs on another core while
// the writer builds its next transaction, instead of inside the writer's
// commit (SQLite's auto-checkpoint, a fifth of the writer's time).
//
// Passive checkpoints alone would starve: the log can only start over when
// a transaction begins after a checkpoint copied all of it, and a writer
// that never pauses always appends first. So once the log is walResetFrames
// long the writer finishes the copy itself (sync) before it begins.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	stop context.CancelFunc
	done chan struct{}

	mu        sync.Mutex // held while a checkpoint runs
	logFrames int        // the log's length after the last checkpoint
}

func startCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// wake asks for a checkpoint soon; it never blocks the writer.
func (c *checkpointer) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(checkpointIdle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-t.C:
		}
		c.mu.Lock()
		c.checkpoint(ctx)
		c.mu.Unlock()
	}
}

// checkpoint runs one PASSIVE checkpoint (it never waits for the writer or
// for readers: it copies what it can). Call with c.mu held. A failure (disk
// full, I/O error) leaves the frames in the log for the next one; the log
// then only grows, and the writer's own writes report the full disk.
func (c *checkpointer) checkpoint(ctx context.Context) {
	var busy, logFrames, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err != nil {
		c.logFrames = 0 // the writer does not wait again until one succeeds
		return
	}
	c.logFrames = logFrames
}

// sync runs before the writer begins a transaction. Once the log is
// walResetFrames long it waits for a running checkpoint and copies the
// rest, so the transaction starts the log over (unless a reader still
// uses its end). Shorter logs return at once.
func (c *checkpointer) sync(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logFrames >= walResetFrames {
		c.checkpoint(ctx)
	}
}

func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.db.Close()
}
