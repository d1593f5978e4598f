package display

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormats(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct{ got, want string }{
		{Int(0), "0"}, {Int(999), "999"}, {Int(1000), "1,000"}, {Int(-1234567), "-1,234,567"},
		{USD(0.0045), "$0.0045"}, {USD(0.012), "$0.0120"}, {USD(12.5), "$12.50"}, {USD(1234.567), "$1,234.57"},
		{Cost(nil), "unpriced"}, {Cost(f(0)), "$0.0000"},
		{SpanCost(nil, "unpriced"), "unpriced"}, {SpanCost(nil, ""), "-"}, {SpanCost(f(0.5), "priced"), "$0.5000"},
		{Duration(0), "0s"}, {Duration(500), "500ns"}, {Duration(1500), "1µs"}, {Duration(850e6), "850ms"},
		{Duration(1.5e9), "1.50s"}, {Duration(12e9), "12.0s"}, {Duration(123e9), "2m03s"}, {Duration(3720e9), "1h02m"},
		{SpanDuration("running", 0), "running"}, {SpanDuration("ok", 2e9), "2.00s"},
		{Tokens(5, false), "-"}, {Tokens(1550, true), "1,550"},
		{Plural(1, "span", "spans"), "1 span"}, {Plural(2000, "span", "spans"), "2,000 spans"},
		{Dash(""), "-"}, {StatusIcon("timeout"), "⧖"}, {TypeIcon("llm_call"), "✦"}, {TypeIcon("new_kind"), "•"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.got)
	}
}
