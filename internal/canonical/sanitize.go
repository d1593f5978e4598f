package canonical

import (
	"strings"
	"unicode/utf8"
)

// MaxTokenCount bounds a believable token count in one bucket (about 10^15).
// Larger counts are treated as absent: summing buckets must not overflow
// int64 and a cost must stay finite.
const MaxTokenCount = 1 << 50

// CleanText makes text safe for every store: valid UTF-8 (each invalid byte
// becomes U+FFFD) and no NUL bytes (PostgreSQL text and jsonb reject NUL).
// Valid text is returned as is, without allocating.
func CleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch r {
		case 0:
			continue
		case utf8.RuneError:
			b = utf8.AppendRune(b, '\uFFFD')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// Sanitize applies CleanText to every text field of s. Spans from the native
// receiver are clean already; OTLP senders can put anything in a string.
func Sanitize(s *Span) {
	for _, p := range [...]*string{
		&s.SessionID, &s.Name, &s.StatusMessage, &s.ErrorCode, &s.Model, &s.Provider, &s.StopReason,
		&s.Prompt, &s.Response, &s.ToolName, &s.ToolCallID, &s.ToolInput, &s.ToolOutput, &s.FilePath,
		&s.FileOperation, &s.Framework, &s.FrameworkVersion, &s.SDKVersion, &s.Hostname, &s.ServiceName,
		&s.AgentName, &s.UserID, &s.SessionName, &s.SessionEvent,
	} {
		*p = CleanText(*p)
	}
	for i, t := range s.Tags {
		s.Tags[i] = CleanText(t)
	}
}
