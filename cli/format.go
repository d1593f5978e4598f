package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/rivo/uniseg"
)

// column is one column of a table; numbers are right-aligned.
type column struct {
	name  string
	right bool
	max   int // cells wider than this are cut with "…" (0: no limit)
}

// table prints aligned columns for people: a header, two spaces between
// columns, widths measured in terminal cells (icons and CJK text align).
type table struct {
	cols []column
	rows [][]string
}

func newTable(cols ...column) *table { return &table{cols: cols} }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) render(w io.Writer) error {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = uniseg.StringWidth(c.name)
	}
	cells := make([][]string, len(t.rows))
	for r, row := range t.rows {
		cells[r] = make([]string, len(t.cols))
		for i := range t.cols {
			if i < len(row) {
				cells[r][i] = truncate(oneLine(row[i]), t.cols[i].max)
			}
			widths[i] = max(widths[i], uniseg.StringWidth(cells[r][i]))
		}
	}
	var b strings.Builder
	line := func(row []string) {
		var l strings.Builder
		for i, cell := range row {
			pad := widths[i] - uniseg.StringWidth(cell)
			if i > 0 {
				l.WriteString("  ")
			}
			if t.cols[i].right {
				l.WriteString(strings.Repeat(" ", pad))
				l.WriteString(cell)
			} else {
				l.WriteString(cell)
				if i < len(row)-1 {
					l.WriteString(strings.Repeat(" ", pad))
				}
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	header := make([]string, len(t.cols))
	for i, c := range t.cols {
		header[i] = c.name
	}
	line(header)
	for _, row := range cells {
		line(row)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// keyValues prints "Label   value" lines with the values aligned.
type keyValues struct {
	keys, values []string
}

func (kv *keyValues) add(key, value string) {
	kv.keys = append(kv.keys, key)
	kv.values = append(kv.values, value)
}

func (kv *keyValues) render(w io.Writer) error {
	width := 0
	for _, k := range kv.keys {
		width = max(width, uniseg.StringWidth(k))
	}
	var b strings.Builder
	for i, k := range kv.keys {
		fmt.Fprintf(&b, "%s%s  %s\n", k, strings.Repeat(" ", width-uniseg.StringWidth(k)), kv.values[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// truncate cuts s to n terminal cells, ending with "…".
func truncate(s string, n int) string {
	if n <= 0 || uniseg.StringWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if w+cw > n-1 {
			break
		}
		b.WriteString(g.Str())
		w += cw
	}
	return b.String() + "…"
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// padRight pads s with spaces to n terminal cells.
func padRight(s string, n int) string {
	if w := uniseg.StringWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
