package agenttrace

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// TraceID is a 16-byte trace id.
type TraceID [16]byte

// SpanID is an 8-byte span id.
type SpanID [8]byte

// String is the id as 32 lowercase hex digits.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether the id is all zeros (invalid).
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String is the id as 16 lowercase hex digits.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// IsZero reports whether the id is all zeros (invalid).
func (s SpanID) IsZero() bool { return s == SpanID{} }

// newTraceID and newSpanID use the runtime's per-thread ChaCha8 generator
// (math/rand/v2): random, lock-free and ~10 ns, unlike crypto/rand.
func newTraceID() TraceID {
	var t TraceID
	for t.IsZero() {
		binary.LittleEndian.PutUint64(t[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t
}

func newSpanID() SpanID {
	var s SpanID
	for s.IsZero() {
		binary.LittleEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

// ParseTraceID parses 32 hex digits.
func ParseTraceID(s string) (TraceID, bool) {
	var t TraceID
	if len(s) != 32 {
		return t, false
	}
	_, err := hex.Decode(t[:], []byte(s))
	return t, err == nil && !t.IsZero()
}

// ParseSpanID parses 16 hex digits.
func ParseSpanID(s string) (SpanID, bool) {
	var id SpanID
	if len(s) != 16 {
		return id, false
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err == nil && !id.IsZero()
}
