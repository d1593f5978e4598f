package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	d "github.com/agenttrace/agenttrace/cli/display"
)

var exportFormats = []string{"json", "ndjson", "csv", "parquet"}

func (a *app) exportCommand() *cobra.Command {
	var (
		w                         window
		f                         spanFilters
		agent, text, minDuration  string
		minCost                   float64
		format, file              string
		limit                     int
		progress, noProgress, yes bool
	)
	cmd := &cobra.Command{
		Use:   "export [spans|traces]",
		Short: "Export spans or trace summaries to a JSON, NDJSON, CSV or Parquet file",
		Long: `Export spans (the default) or trace summaries with the same filters as
'spans query' and 'traces list', streamed from the API into a file. A progress
bar is drawn on stderr when it is a terminal (--progress forces it).`,
		Example: `  agenttrace export --since 7d --format parquet --file spans.parquet
  agenttrace export traces --status error --format csv --file failed.csv
  agenttrace export spans --session sess-42 --format json --file - | jq length`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"spans", "traces"},
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "spans"
			if len(args) == 1 {
				what = strings.ToLower(args[0])
			}
			if what != "spans" && what != "traces" {
				return usageError("cannot export %q; want spans or traces", args[0])
			}
			if err := checkEnum("format", format, exportFormats); err != nil {
				return err
			}
			format = strings.ToLower(format)
			if err := f.check(); err != nil {
				return err
			}
			q := url.Values{}
			if err := w.apply(q); err != nil {
				return err
			}
			q.Set("format", format)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if what == "spans" {
				f.apply(q)
				if agent != "" || text != "" || minCost > 0 || minDuration != "" {
					return usageError("--agent, --search, --min-cost and --min-duration filter traces; use them with 'export traces'")
				}
			} else {
				if f.trace != "" || f.typ != "" {
					return usageError("--trace and --type filter spans; use them with 'export spans'")
				}
				setIf(q, "session", f.session)
				setIf(q, "model", f.model)
				setIf(q, "status", strings.ToLower(f.status))
				setIf(q, "agent", agent)
				setIf(q, "q", text)
				setIf(q, "min_duration", minDuration)
				if minCost > 0 {
					q.Set("min_cost", strconv.FormatFloat(minCost, 'f', -1, 64))
				}
			}
			if file == "" {
				file = fmt.Sprintf("agenttrace-%s-%s.%s", what, time.Now().UTC().Format("20060102T150405Z"), format)
			}
			return a.export(cmd.Context(), exportJob{what: what, query: q, format: format, file: file, overwrite: yes,
				progress: progress || (!noProgress && isTerminal(a.env.Stderr)), limit: limit})
		},
	}
	w.register(cmd, "only what started in this period: 1h, 24h, 7d, today …")
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&agent, "agent", "", "traces: only traces of this agent")
	fl.StringVarP(&text, "search", "q", "", "traces: text in span names, prompts, responses or tool I/O")
	fl.Float64Var(&minCost, "min-cost", 0, "traces: only traces that cost at least this many USD")
	fl.StringVar(&minDuration, "min-duration", "", "traces: only traces that took at least this long")
	fl.StringVar(&format, "format", "ndjson", "file format: "+strings.Join(exportFormats, ", "))
	fl.StringVarP(&file, "file", "f", "", "output file, - for stdout (default agenttrace-<what>-<time>.<format>)")
	fl.IntVar(&limit, "limit", 0, "maximum number of rows (0: all)")
	fl.BoolVar(&progress, "progress", false, "draw the progress bar even when stderr is not a terminal")
	fl.BoolVar(&noProgress, "no-progress", false, "never draw the progress bar")
	fl.BoolVarP(&yes, "yes", "y", false, "overwrite the file if it exists")
	return cmd
}

type exportJob struct {
	what, format, file string
	query              url.Values
	overwrite          bool
	progress           bool
	limit              int
}

func (a *app) export(ctx context.Context, job exportJob) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out io.Writer
	var f *os.File
	if job.file == "-" {
		out = a.env.Stdout
	} else {
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if job.overwrite {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err = os.OpenFile(job.file, flags, 0o644)
		if os.IsExist(err) {
			return usageError("%s exists; pass --yes to overwrite it", job.file)
		}
		if err != nil {
			return fmt.Errorf("create the export file: %w", err)
		}
		out = f
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	rows := &rowCounter{format: job.format}
	bar := newProgressBar(a.env.Stderr, "exporting "+job.what, job.progress)
	if job.progress && (job.format == "ndjson" || job.format == "json") {
		bar.total = a.exportEstimate(ctx, job)
	}
	start := time.Now()
	n, err := c.Export(ctx, job.what, job.query, io.MultiWriter(bw, rows), func(n int64) { bar.update(n, rows.rows()) })
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(job.file)
		}
	}
	bar.finish()
	if err != nil {
		return fmt.Errorf("export %s: %w", job.what, err)
	}
	if job.file == "-" {
		return nil
	}
	what := humanBytes(n)
	if r := rows.rows(); r >= 0 {
		what = d.Plural(r, strings.TrimSuffix(job.what, "s"), job.what) + ", " + what
	}
	_, err = fmt.Fprintf(a.env.Stderr, "Exported %s to %s in %s.\n", what, job.file, d.Duration(int64(time.Since(start))))
	return err
}

// exportEstimate asks the API how many rows a time-bounded export holds,
// for the progress bar; -1 when the filters make that unknowable.
func (a *app) exportEstimate(ctx context.Context, job exportJob) int64 {
	for k := range job.query {
		if k != "from" && k != "to" && k != "format" && k != "limit" && k != "project" {
			return -1
		}
	}
	c, err := a.client()
	if err != nil {
		return -1
	}
	q := url.Values{"from": {allTime}}
	if v := job.query.Get("from"); v != "" {
		q.Set("from", v)
	}
	setIf(q, "to", job.query.Get("to"))
	setIf(q, "project", job.query.Get("project"))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, _, err := c.Summary(ctx, q)
	if err != nil {
		return -1
	}
	total := s.Current.Spans
	if job.what == "traces" {
		total = s.Current.Traces
	}
	if job.limit > 0 {
		total = min(total, int64(job.limit))
	}
	return total
}

// rowCounter counts the rows of line-based exports (NDJSON and JSON, which
// the API writes one element a line); other formats report -1.
type rowCounter struct {
	format string
	mu     sync.Mutex
	lines  int64
	last   byte
}

func (r *rowCounter) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.lines += int64(bytes.Count(p, []byte{'\n'}))
	if len(p) > 0 {
		r.last = p[len(p)-1]
	}
	r.mu.Unlock()
	return len(p), nil
}

func (r *rowCounter) rows() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.format {
	case "ndjson":
		return r.lines
	case "json":
		// The closing "]" line is not a row.
		return max(r.lines-1, 0)
	}
	return -1
}

// progressBar draws "label ▕████░░░░▏ 42%  1,234/2,900 rows  1.2 MB" on one
// line, at most ten times a second.
type progressBar struct {
	w       io.Writer
	label   string
	enabled bool
	total   int64 // rows, -1 or 0 when unknown
	start   time.Time
	last    time.Time

	lastBytes, lastRows int64
}

func newProgressBar(w io.Writer, label string, enabled bool) *progressBar {
	return &progressBar{w: w, label: label, enabled: enabled, total: -1, start: time.Now()}
}

const barWidth = 24

func (p *progressBar) update(bytes, rows int64) {
	p.lastBytes, p.lastRows = bytes, rows
	if !p.enabled || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw(bytes, rows)
}

func (p *progressBar) draw(bytes, rows int64) {
	var b strings.Builder
	b.WriteString("\r" + p.label + " ")
	if p.total > 0 && rows >= 0 {
		frac := min(float64(rows)/float64(p.total), 1)
		filled := int(frac * barWidth)
		b.WriteString("▕" + strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled) + "▏")
		fmt.Fprintf(&b, " %3.0f%%  %s/%s rows", frac*100, d.Int(rows), d.Int(p.total))
	} else if rows >= 0 {
		fmt.Fprintf(&b, " %s rows", d.Int(rows))
	}
	secs := max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(&b, "  %s  %s/s\x1b[K", humanBytes(bytes), humanBytes(int64(float64(bytes)/secs)))
	io.WriteString(p.w, b.String())
}

func (p *progressBar) finish() {
	if !p.enabled {
		return
	}
	p.draw(p.lastBytes, p.lastRows)
	io.WriteString(p.w, "\n")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
