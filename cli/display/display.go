// Package display formats AgentTrace values the same way in the CLI and the
// terminal UI: token counts with separators, dollar amounts that never show
// an unpriced model as $0, compact durations, and one-cell icons for span
// types and statuses.
package display

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Int prints an integer with thousands separators: 1,234,567.
func Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// USD prints a dollar amount: four decimals below a dollar, where agent
// step costs live, two above.
func USD(v float64) string {
	if math.Abs(v) < 1 {
		return fmt.Sprintf("$%.4f", v)
	}
	return "$" + floatThousands(v, 2)
}

func floatThousands(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	if frac == "" {
		return Int(n)
	}
	return Int(n) + "." + frac
}

// Cost prints an aggregated cost: nil means nothing was priced, never $0.
func Cost(v *float64) string {
	if v == nil {
		return "unpriced"
	}
	return USD(*v)
}

// SpanCost prints a span's cost: "-" when the span has no tokens,
// "unpriced" when its model has no price.
func SpanCost(v *float64, status string) string {
	switch {
	case v != nil:
		return USD(*v)
	case status == "unpriced":
		return "unpriced"
	}
	return "-"
}

// Duration prints a duration compactly: 850ms, 1.50s, 12.0s, 2m03s, 1h02m.
func Duration(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d <= 0:
		return "0s"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, (d%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
}

// SpanDuration is a span's duration, or "running".
func SpanDuration(status string, ns int64) string {
	if status == "running" {
		return "running"
	}
	return Duration(ns)
}

// Time prints Unix nanoseconds in the local time zone.
func Time(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).Local().Format("2006-01-02 15:04:05")
}

// Millis prints milliseconds from the API ("-" when null).
func Millis(v *float64) string {
	if v == nil {
		return "-"
	}
	return Duration(int64(*v * float64(time.Millisecond)))
}

// Tokens prints a token count ("-" for spans without tokens).
func Tokens(n int64, present bool) string {
	if !present {
		return "-"
	}
	return Int(n)
}

// Dash returns s, or "-" when it is empty.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Plural prints a count with the singular or plural noun: "1 span", "2 spans".
func Plural(n int64, one, many string) string {
	if n == 1 {
		return Int(n) + " " + one
	}
	return Int(n) + " " + many
}

// StatusIcon marks a status: ✓ ok, ✗ error, ⧖ timeout, ⊘ cancelled, … running.
func StatusIcon(status string) string {
	switch status {
	case "ok":
		return "✓"
	case "error":
		return "✗"
	case "timeout":
		return "⧖"
	case "cancelled":
		return "⊘"
	case "running":
		return "…"
	}
	return "?"
}

// typeIcons are one-cell symbols for the span types, so trees stay aligned
// in any terminal (emoji are two cells in some and one in others).
var typeIcons = map[string]string{
	"task":             "▣",
	"agent":            "◆",
	"llm_call":         "✦",
	"tool_execution":   "⚒",
	"reasoning":        "◌",
	"retrieval":        "⌕",
	"embedding":        "≋",
	"memory_retrieval": "⇠",
	"memory_store":     "⇢",
	"file_read":        "▤",
	"file_write":       "✎",
	"api_call":         "⇄",
	"code_execution":   "▶",
	"verification":     "☑",
	"guardrail":        "▲",
	"custom":           "•",
}

// TypeIcon returns a span type's symbol.
func TypeIcon(t string) string {
	if i, ok := typeIcons[t]; ok {
		return i
	}
	return "•"
}
