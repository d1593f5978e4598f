package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

func (a *app) downCommand() *cobra.Command {
	var (
		dataDir string
		timeout time.Duration
		force   bool
	)
	cmd := &cobra.Command{
		Use:     "down",
		Aliases: []string{"stop"},
		Short:   "Stop the stack started by up (SIGTERM, then wait for a clean shutdown)",
		Example: "  agenttrace down\n  agenttrace down --timeout 2m",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(dataDir)
			if err != nil {
				return err
			}
			pid, err := readPID(dir)
			if errors.Is(err, fs.ErrNotExist) {
				_, err := fmt.Fprintf(a.env.Stdout, "AgentTrace is not running (no pid file in %s).\n", dir)
				return err
			}
			if err != nil {
				return err
			}
			st, _ := readState(dir)
			if !alive(pid) || !isAgentTrace(pid, st.Executable) {
				removeState(dir, pid)
				_, err := fmt.Fprintf(a.env.Stdout, "AgentTrace is not running (removed the stale pid file of pid %d).\n", pid)
				return err
			}
			start := time.Now()
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				return fmt.Errorf("stop pid %d: %w", pid, err)
			}
			fmt.Fprintf(a.env.Stderr, "Stopping AgentTrace (pid %d)…\n", pid)
			if waitExit(cmd.Context(), pid, timeout) {
				removeState(dir, pid)
				_, err := fmt.Fprintf(a.env.Stdout, "AgentTrace stopped (pid %d, %s).\n", pid, d.Duration(int64(time.Since(start))))
				return err
			}
			if !force {
				return fmt.Errorf("AgentTrace (pid %d) is still shutting down after %s; wait, or run `agenttrace down --force` to kill it", pid, timeout)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("kill pid %d: %w", pid, err)
			}
			waitExit(cmd.Context(), pid, 5*time.Second)
			removeState(dir, pid)
			_, err = fmt.Fprintf(a.env.Stdout, "AgentTrace killed (pid %d) after %s without a clean shutdown.\n", pid, timeout)
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "data directory of the stack")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "how long to wait for a clean shutdown")
	cmd.Flags().BoolVar(&force, "force", false, "kill the stack (SIGKILL) if it has not stopped after --timeout")
	return cmd
}

// waitExit polls until pid is gone or timeout passes.
func waitExit(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !alive(pid) || isZombie(pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return !alive(pid)
}

// isZombie reports an exited child not yet reaped (the process is gone).
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S …": the state follows the last ')'.
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] == 'Z'
		}
	}
	return false
}

// partStatus is one line of `status`.
type partStatus struct {
	Part    string `json:"part"`
	Address string `json:"address"`
	Healthy bool   `json:"healthy"`
	State   string `json:"state"`
}

type statusReport struct {
	Running   bool         `json:"running"`
	PID       int          `json:"pid,omitempty"`
	Started   *time.Time   `json:"started,omitempty"`
	Version   string       `json:"version,omitempty"`
	DataDir   string       `json:"data_dir"`
	Store     string       `json:"store,omitempty"`
	StoreSize int64        `json:"store_bytes,omitempty"`
	LogFile   string       `json:"log_file,omitempty"`
	APIURL    string       `json:"api_url,omitempty"`
	Spans     *int64       `json:"spans,omitempty"`
	Traces    *int64       `json:"traces,omitempty"`
	Sessions  *int64       `json:"sessions,omitempty"`
	Parts     []partStatus `json:"parts"`
	Healthy   bool         `json:"healthy"`
}

func (a *app) statusCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Health of each part of the running stack, its ports, store and span count",
		Example: "  agenttrace status\n  agenttrace status -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(dataDir)
			if err != nil {
				return err
			}
			rep := a.stackStatus(cmd.Context(), dir)
			if a.jsonOutput() {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else if err := a.renderStatus(rep); err != nil {
				return err
			}
			switch {
			case !rep.Running:
				return &exitError{code: ExitError, err: fmt.Errorf("AgentTrace is not running from %s", dir), silent: true}
			case !rep.Healthy:
				return &exitError{code: ExitError, err: errors.New("AgentTrace is running but not healthy"), silent: true}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "data directory of the stack")
	return cmd
}

func (a *app) stackStatus(ctx context.Context, dir string) statusReport {
	rep := statusReport{DataDir: dir, Parts: []partStatus{}}
	pid, ok := runningPID(dir)
	if !ok {
		return rep
	}
	st, err := readState(dir)
	if err != nil {
		return rep
	}
	rep.Running, rep.PID, rep.Version, rep.Store, rep.LogFile, rep.APIURL = true, pid, st.Version, st.Store, st.LogFile, st.APIURL
	started := st.Started
	rep.Started = &started
	if fi, err := os.Stat(st.Store); err == nil {
		rep.StoreSize = fi.Size()
	}
	rep.Healthy = true
	add := func(p partStatus) {
		rep.Parts = append(rep.Parts, p)
		rep.Healthy = rep.Healthy && p.Healthy
	}
	httpc := &http.Client{Timeout: 3 * time.Second}
	if st.HealthURL != "" {
		p := partStatus{Part: "collector", Address: st.HealthURL}
		if resp, err := httpc.Get(st.HealthURL); err != nil {
			p.State = "not answering: " + shortErr(err)
		} else {
			resp.Body.Close()
			p.Healthy = resp.StatusCode == http.StatusOK
			p.State = map[bool]string{true: "healthy", false: "unhealthy (" + resp.Status + ")"}[p.Healthy]
		}
		add(p)
	}
	if st.APIURL != "" {
		p := partStatus{Part: "API + dashboard", Address: st.APIURL}
		c, err := apiclient.New(st.APIURL, a.apiKey)
		if err == nil {
			var h apiclient.Health
			if h, err = c.Health(ctx); err == nil {
				p.Healthy = h.Status == "ok"
				p.State = h.Status + ", storage " + h.Storage
				sum, _, serr := c.Summary(ctx, url.Values{"from": {allTime}})
				if serr == nil {
					rep.Spans, rep.Traces, rep.Sessions = &sum.Current.Spans, &sum.Current.Traces, &sum.Current.Sessions
				}
			}
		}
		if err != nil {
			p.State = "not answering: " + shortErr(err)
		}
		add(p)
	}
	for _, e := range st.Endpoints {
		if e.Name == "API + dashboard" || e.Name == "collector health" {
			continue
		}
		p := partStatus{Part: e.Name, Address: e.Proto + " " + dialAddr(e.Addr)}
		if e.Proto == "udp" {
			// A UDP port cannot be probed; it is bound if we cannot bind it.
			err := tryBind("udp", e.Addr)
			p.Healthy = errors.Is(err, syscall.EADDRINUSE)
			p.State = map[bool]string{true: "bound", false: "not bound"}[p.Healthy]
		} else {
			conn, err := net.DialTimeout("tcp", dialAddr(e.Addr), 2*time.Second)
			p.Healthy = err == nil
			if err == nil {
				conn.Close()
				p.State = "listening"
			} else {
				p.State = "not listening: " + shortErr(err)
			}
		}
		add(p)
	}
	return rep
}

func shortErr(err error) string {
	var ue *apiclient.UnreachableError
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "connection refused"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func (a *app) renderStatus(rep statusReport) error {
	w := a.env.Stdout
	if !rep.Running {
		_, err := fmt.Fprintf(w, "AgentTrace is not running (data directory %s).\nStart it with `agenttrace up`.\n", rep.DataDir)
		return err
	}
	health := "healthy"
	if !rep.Healthy {
		health = "NOT healthy"
	}
	fmt.Fprintf(w, "AgentTrace %s is running and %s (pid %d, up %s).\n\n", rep.Version, health, rep.PID,
		uptime(time.Since(*rep.Started)))
	t := newTable(column{name: "PART"}, column{name: "ADDRESS"}, column{name: "STATE"})
	for _, p := range rep.Parts {
		icon := "✓"
		if !p.Healthy {
			icon = "✗"
		}
		t.add(p.Part, p.Address, icon+" "+p.State)
	}
	if err := t.render(w); err != nil {
		return err
	}
	kv := &keyValues{}
	if rep.Store != "" {
		kv.add("Store", fmt.Sprintf("%s (%s)", rep.Store, humanBytes(rep.StoreSize)))
	}
	if rep.Spans != nil {
		kv.add("Stored", fmt.Sprintf("%s, %s, %s", d.Plural(*rep.Spans, "span", "spans"),
			d.Plural(*rep.Traces, "trace", "traces"), d.Plural(*rep.Sessions, "session", "sessions")))
	}
	if rep.LogFile != "" {
		kv.add("Log", rep.LogFile)
	} else {
		kv.add("Log", "in the terminal that ran `agenttrace up`")
	}
	fmt.Fprintln(w)
	return kv.render(w)
}

func (a *app) logsCommand() *cobra.Command {
	var (
		dataDir string
		follow  bool
		lines   int
	)
	cmd := &cobra.Command{
		Use:     "logs",
		Aliases: []string{"log"},
		Short:   "Print the log of the stack started by up --detach",
		Example: "  agenttrace logs\n  agenttrace logs -f\n  agenttrace logs -n 0 > all.log",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(dataDir)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, logFileName)
			f, err := os.Open(path)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no log file at %s: only `agenttrace up --detach` writes one (a foreground `up` logs to its terminal)", path)
			}
			if err != nil {
				return err
			}
			defer f.Close()
			var start int64
			if lines > 0 {
				if start, err = tailLines(f, lines); err != nil {
					return err
				}
			}
			if _, err := f.Seek(start, io.SeekStart); err != nil {
				return err
			}
			if _, err := io.Copy(a.env.Stdout, f); err != nil {
				return err
			}
			if !follow {
				return nil
			}
			return followFile(cmd.Context(), f, path, a.env.Stdout)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "data directory of the stack")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().IntVarP(&lines, "lines", "n", 100, "print the last N lines (0: the whole log)")
	return cmd
}

// followFile copies what is appended to f until ctx ends; a truncated or
// replaced file is read again from its start.
func followFile(ctx context.Context, f *os.File, path string, w io.Writer) error {
	cur := f
	defer func() {
		if cur != f {
			cur.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
		pos, _ := cur.Seek(0, io.SeekCurrent)
		if fi, err := os.Stat(path); err == nil {
			if open, err := cur.Stat(); err == nil && (!os.SameFile(fi, open) || fi.Size() < pos) {
				nf, err := os.Open(path)
				if err != nil {
					continue
				}
				if cur != f {
					cur.Close()
				}
				cur = nf
			}
		}
		if _, err := io.Copy(w, cur); err != nil {
			return err
		}
	}
}

// uptime prints a running time to the second: 8s, 5m12s, 3h04m.
func uptime(dur time.Duration) string {
	dur = dur.Truncate(time.Second)
	switch {
	case dur < time.Minute:
		return dur.String()
	case dur < time.Hour:
		return fmt.Sprintf("%dm%02ds", dur/time.Minute, (dur%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%dh%02dm", dur/time.Hour, (dur%time.Hour)/time.Minute)
}
