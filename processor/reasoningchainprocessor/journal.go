package reasoningchainprocessor

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// journal makes buffering durable. The processor acknowledges a batch as
// soon as its spans are buffered, long before they reach the exporter; with
// a journal, every batch holding spans to buffer is written to a storage
// extension (one write per batch, before the acknowledgement), and deleted
// once every trace it fed has been emitted and accepted downstream. On start,
// what is left is replayed, so a crash (kill -9) loses nothing acknowledged.
// Spans of a replayed batch that had already been forwarded are forwarded
// again; the stores replace a span by its id, so each is stored once.
type journal struct {
	client storage.Client
	// next is the sequence number of the next entry; entries are replayed
	// in sequence order.
	next uint64
}

const journalPrefix = "chain/"

var marshaler ptrace.ProtoMarshaler

var unmarshaler ptrace.ProtoUnmarshaler

func journalKey(seq uint64) string {
	// Zero-padded hex keeps lexical order equal to sequence order.
	return fmt.Sprintf("%s%016x", journalPrefix, seq)
}

// openJournal gets the processor's client from the storage extension named
// by id. The client must be able to list its keys (storage.Walker), which
// replay needs; file_storage can.
func openJournal(ctx context.Context, host component.Host, id component.ID, self component.ID) (*journal, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found (add it to service.extensions)", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage: %q: %w", id, err)
	}
	if _, ok := client.(storage.Walker); !ok {
		_ = client.Close(ctx)
		return nil, fmt.Errorf("storage: extension %q cannot list its keys, which replay needs (use file_storage)", id)
	}
	return &journal{client: client}, nil
}

// journalEntry is one batch left over from the previous run.
type journalEntry struct {
	seq uint64
	td  ptrace.Traces
}

// load reads every entry left in the journal, in sequence order, and sets
// the next sequence number past them. An entry that cannot be decoded is
// deleted and reported: it could never be replayed.
func (j *journal) load(ctx context.Context) ([]journalEntry, error) {
	var (
		entries []journalEntry
		bad     []string
	)
	err := j.client.(storage.Walker).Walk(ctx, func(key string, value []byte) ([]*storage.Operation, error) {
		hex, ok := strings.CutPrefix(key, journalPrefix)
		if !ok {
			return nil, nil
		}
		seq, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			bad = append(bad, key)
			return []*storage.Operation{storage.DeleteOperation(key)}, nil
		}
		td, err := unmarshaler.UnmarshalTraces(value)
		if err != nil {
			bad = append(bad, key)
			return []*storage.Operation{storage.DeleteOperation(key)}, nil
		}
		entries = append(entries, journalEntry{seq: seq, td: td})
		j.next = max(j.next, seq+1)
		return nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	slices.SortFunc(entries, func(a, b journalEntry) int { return compareUint(a.seq, b.seq) })
	if len(bad) > 0 {
		return entries, fmt.Errorf("journal: %d undecodable entries deleted (first %s)", len(bad), bad[0])
	}
	return entries, nil
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// write stores td under seq.
func (j *journal) write(ctx context.Context, seq uint64, td ptrace.Traces) error {
	buf, err := marshaler.MarshalTraces(td)
	if err != nil {
		return fmt.Errorf("journal: encoding the batch: %w", err)
	}
	if err := j.client.Set(ctx, journalKey(seq), buf); err != nil {
		return fmt.Errorf("journal: writing the batch: %w", err)
	}
	return nil
}

// remove deletes the entries of seqs in one storage transaction.
func (j *journal) remove(ctx context.Context, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	ops := make([]*storage.Operation, len(seqs))
	for i, s := range seqs {
		ops[i] = storage.DeleteOperation(journalKey(s))
	}
	return j.client.Batch(ctx, ops...)
}

func (j *journal) close(ctx context.Context) error {
	if j == nil {
		return nil
	}
	return j.client.Close(ctx)
}
