package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files `up` keeps in the data directory while it runs.
const (
	pidFileName   = "agenttrace.pid"
	stateFileName = "agenttrace.state.json"
	logFileName   = "agenttrace.log"
)

// stackState describes a running stack for down, status and logs.
type stackState struct {
	PID        int        `json:"pid"`
	Started    time.Time  `json:"started"`
	Version    string     `json:"version"`
	Executable string     `json:"executable"`
	DataDir    string     `json:"data_dir"`
	Configs    []string   `json:"configs"`
	Store      string     `json:"store,omitempty"`
	APIURL     string     `json:"api_url,omitempty"`
	HealthURL  string     `json:"health_url,omitempty"`
	LogFile    string     `json:"log_file,omitempty"`
	Endpoints  []endpoint `json:"endpoints"`
}

// writeState writes the state and pid files, each atomically.
func writeState(dir string, st stackState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, stateFileName), append(b, '\n')); err != nil {
		return fmt.Errorf("write the state file: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, pidFileName), []byte(strconv.Itoa(st.PID)+"\n")); err != nil {
		return fmt.Errorf("write the pid file: %w", err)
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readState(dir string) (stackState, error) {
	var st stackState
	b, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dir, stateFileName), err)
	}
	return st, nil
}

// removeState removes the pid and state files if they are pid's.
func removeState(dir string, pid int) {
	if p, err := readPID(dir); err == nil && p != pid {
		return
	}
	os.Remove(filepath.Join(dir, pidFileName))
	os.Remove(filepath.Join(dir, stateFileName))
}

func readPID(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, pidFileName))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s holds %q, not a pid", filepath.Join(dir, pidFileName), strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// runningPID returns the pid of the AgentTrace running from dir, if the
// pid file names a live AgentTrace process (a stale file after a crash, or
// a pid reused by another program, does not count).
func runningPID(dir string) (int, bool) {
	pid, err := readPID(dir)
	if err != nil || !alive(pid) {
		return 0, false
	}
	st, _ := readState(dir)
	return pid, isAgentTrace(pid, st.Executable)
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isAgentTrace reports whether pid runs the executable that wrote the
// state, or at least a program called agenttrace.
func isAgentTrace(pid int, exe string) bool {
	if exe != "" {
		if got, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
			return strings.TrimSuffix(got, " (deleted)") == exe
		}
	}
	cmd := processCommand(pid)
	return cmd == "unknown command" || strings.Contains(cmd, "agenttrace")
}

// logTail returns the last n lines of a log from offset on.
func logTail(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	if offset > 0 {
		f.Seek(offset, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, 4<<20))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// tailLines returns the offset where the last n lines of f start.
func tailLines(f *os.File, n int) (int64, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	const chunk = 64 << 10
	pos, found := size, 0
	buf := make([]byte, chunk)
	for pos > 0 {
		k := min(int64(chunk), pos)
		pos -= k
		if _, err := f.ReadAt(buf[:k], pos); err != nil && err != io.EOF {
			return 0, err
		}
		b := buf[:k]
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || pos+int64(i) == size-1 {
				continue
			}
			found++
			if found == n {
				return pos + int64(i) + 1, nil
			}
		}
	}
	return 0, nil
}
