package canonical

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ErrEmptyID is returned by the ID parsers for an empty string.
var ErrEmptyID = errors.New("empty id")

// ParseTraceID parses 32 hex digits or a UUID (with dashes) into a trace id.
// The all-zero id is invalid, as in OTLP.
func ParseTraceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if s == "" {
		return id, ErrEmptyID
	}
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		s = strings.ReplaceAll(s, "-", "")
	}
	if len(s) != 32 {
		return id, fmt.Errorf("want 32 hex digits or a UUID, got %d characters", len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("not hex: %w", err)
	}
	if id.IsEmpty() {
		return id, errors.New("all-zero trace id")
	}
	return id, nil
}

// ParseSpanID parses 16 hex digits into a span id; the all-zero id is invalid.
func ParseSpanID(s string) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	if s == "" {
		return id, ErrEmptyID
	}
	if len(s) != 16 {
		return id, fmt.Errorf("want 16 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("not hex: %w", err)
	}
	if id.IsEmpty() {
		return id, errors.New("all-zero span id")
	}
	return id, nil
}
