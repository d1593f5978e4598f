package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// MaxKeyBytes bounds identifiers that are indexed (trace, span and session
// ids, names used as keys): a btree entry must stay well under PostgreSQL's
// ~2.7 kB limit, and longer ids are not ids.
const MaxKeyBytes = 512

// cleanText makes s storable in a PostgreSQL text column: valid UTF-8
// without NUL bytes. ok is false when s had to change.
func cleanText(s string) (string, bool) {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s, true
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD"), false
}

// cleanKey is cleanText plus the MaxKeyBytes bound.
func cleanKey(s string) (string, bool) {
	s, ok := cleanText(s)
	if len(s) > MaxKeyBytes {
		s = strings.ToValidUTF8(s[:MaxKeyBytes], "")
		ok = false
	}
	return s, ok
}

// cleanJSON makes a JSON document acceptable to jsonb: valid UTF-8 and no
// \u0000 escapes (jsonb cannot hold NUL). Invalid JSON is the caller's
// problem (it is rejected as a data error).
func cleanJSON(s string) (string, bool) {
	s, ok := cleanText(s)
	if strings.Contains(s, `\u0000`) {
		s, ok = strings.ReplaceAll(s, `\u0000`, `\ufffd`), false
	}
	return s, ok
}

func clean(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

// batchNeedsSanitizing reports, without changing anything, whether
// sanitizeBatch would change something.
func batchNeedsSanitizing(spans []storage.Span, events []storage.SessionEvent) bool {
	for i := range spans {
		s := &spans[i]
		c := &s.Span
		for _, v := range [...]string{c.TraceID, c.SpanID, c.ParentSpanID, c.SessionID, c.Model, c.Provider, c.AgentName} {
			if len(v) > MaxKeyBytes || !clean(v) {
				return true
			}
		}
		for _, v := range [...]string{c.Name, c.StatusMessage, c.ErrorCode, c.StopReason, c.Prompt, c.Response,
			c.ToolName, c.ToolCallID, c.ToolInput, c.ToolOutput, c.FilePath, c.FileOperation,
			c.Cost.Status, c.Cost.PricingEntry, c.Cost.PricingDate, c.Framework, c.FrameworkVersion,
			c.SDKVersion, c.Hostname, c.ServiceName, c.UserID, c.ChainFollows, c.ChainRequestedBy,
			c.ChainAnswers, s.ScopeName} {
			if !clean(v) {
				return true
			}
		}
		for _, v := range c.Tags {
			if !clean(v) {
				return true
			}
		}
		for _, v := range [...]string{s.Attributes, s.Resource, s.Events} {
			if !clean(v) || strings.Contains(v, `\u0000`) {
				return true
			}
		}
	}
	for i := range events {
		e := &events[i]
		if len(e.SessionID) > MaxKeyBytes {
			return true
		}
		for _, v := range [...]string{e.SessionID, e.Name, e.Framework, e.AgentName, e.UserID} {
			if !clean(v) {
				return true
			}
		}
		for _, v := range e.Tags {
			if !clean(v) {
				return true
			}
		}
		for k, v := range e.Metadata {
			if !clean(k) || !clean(v) {
				return true
			}
		}
	}
	return false
}

// sanitizeBatch repairs, in place, every text value PostgreSQL would reject.
// It returns how many values it changed.
func sanitizeBatch(spans []storage.Span, events []storage.SessionEvent) int {
	n := 0
	fix := func(p *string, clean func(string) (string, bool)) {
		if v, ok := clean(*p); !ok {
			*p = v
			n++
		}
	}
	for i := range spans {
		s := &spans[i]
		c := &s.Span
		for _, p := range []*string{&c.TraceID, &c.SpanID, &c.ParentSpanID, &c.SessionID, &c.Model, &c.Provider, &c.AgentName} {
			fix(p, cleanKey)
		}
		for _, p := range []*string{&c.Name, &c.StatusMessage, &c.ErrorCode, &c.StopReason, &c.Prompt, &c.Response,
			&c.ToolName, &c.ToolCallID, &c.ToolInput, &c.ToolOutput, &c.FilePath, &c.FileOperation,
			&c.Cost.Status, &c.Cost.PricingEntry, &c.Cost.PricingDate, &c.Framework, &c.FrameworkVersion,
			&c.SDKVersion, &c.Hostname, &c.ServiceName, &c.UserID, &c.ChainFollows, &c.ChainRequestedBy,
			&c.ChainAnswers, &s.ScopeName} {
			fix(p, cleanText)
		}
		if c.Tags != nil {
			c.Tags = cloneIfDirty(c.Tags, &n)
		}
		for _, p := range []*string{&s.Attributes, &s.Resource, &s.Events} {
			fix(p, cleanJSON)
		}
	}
	for i := range events {
		e := &events[i]
		fix(&e.SessionID, cleanKey)
		for _, p := range []*string{&e.Name, &e.Framework, &e.AgentName, &e.UserID} {
			fix(p, cleanText)
		}
		if e.Tags != nil {
			e.Tags = cloneIfDirty(e.Tags, &n)
		}
		if len(e.Metadata) > 0 {
			dirty := false
			for k, v := range e.Metadata {
				if _, ok := cleanText(k); !ok {
					dirty = true
				} else if _, ok := cleanText(v); !ok {
					dirty = true
				}
			}
			if dirty {
				m := make(map[string]string, len(e.Metadata))
				for k, v := range e.Metadata {
					k, _ = cleanText(k)
					v, _ = cleanText(v)
					m[k] = v
				}
				e.Metadata = m
				n++
			}
		}
	}
	return n
}

// cloneIfDirty returns ss, or a repaired copy (the caller's slice is never
// modified in place).
func cloneIfDirty(ss []string, n *int) []string {
	for i, s := range ss {
		if _, ok := cleanText(s); !ok {
			out := make([]string, len(ss))
			copy(out, ss[:i])
			for j := i; j < len(ss); j++ {
				out[j], _ = cleanText(ss[j])
			}
			*n++
			return out
		}
	}
	return ss
}
