package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// busyPort is an address another process holds.
type busyPort struct {
	endpoint
	owner string // "pid 123 (python3 -m http.server 8080)", or a reason
	pid   int
}

// checkPorts tries to bind every endpoint and reports the ones taken, with
// the process holding each where the system tells.
func checkPorts(eps []endpoint) []busyPort {
	var busy []busyPort
	seen := map[string]bool{}
	for _, ep := range eps {
		key := ep.Proto + " " + ep.Addr
		if seen[key] {
			continue
		}
		seen[key] = true
		err := tryBind(ep.Proto, ep.Addr)
		if err == nil {
			continue
		}
		b := busyPort{endpoint: ep}
		if errors.Is(err, syscall.EADDRINUSE) {
			_, port, _ := net.SplitHostPort(ep.Addr)
			pn, _ := strconv.Atoi(port)
			b.pid, b.owner = portOwner(ep.Proto, pn)
		} else {
			b.owner = "cannot listen: " + err.Error()
		}
		busy = append(busy, b)
	}
	return busy
}

func tryBind(proto, addr string) error {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// portOwner finds the process listening on a local port from /proc (Linux).
// It names "another process" when the owner is not visible (another user's
// process, or another OS).
func portOwner(proto string, port int) (int, string) {
	inodes := map[string]bool{}
	files, state := []string{"/proc/net/tcp", "/proc/net/tcp6"}, "0A" // LISTEN
	if proto == "udp" {
		files, state = []string{"/proc/net/udp", "/proc/net/udp6"}, "07"
	}
	for _, f := range files {
		for _, inode := range socketInodes(f, port, state) {
			inodes[inode] = true
		}
	}
	if len(inodes) == 0 {
		return 0, "another process"
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pidDir := filepath.Dir(filepath.Dir(fd))
			pid, _ := strconv.Atoi(filepath.Base(pidDir))
			return pid, fmt.Sprintf("pid %d (%s)", pid, processCommand(pid))
		}
	}
	return 0, "another process (not visible to this user)"
}

// socketInodes returns the inodes of the sockets in a /proc/net table bound
// to port in the given state.
func socketInodes(table string, port int, state string) []string {
	f, err := os.Open(table)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !strings.HasSuffix(fields[1], want) || fields[3] != state {
			continue
		}
		out = append(out, fields[9])
	}
	return out
}

// processCommand is a process's command line, shortened.
func processCommand(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return "unknown command"
	}
	cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	return truncate(cmd, 80)
}

// busyError explains which ports are taken, by what.
func busyError(busy []busyPort, owner int) error {
	var b strings.Builder
	if len(busy) == 1 {
		b.WriteString("cannot start: a port is taken\n")
	} else {
		fmt.Fprintf(&b, "cannot start: %d ports are taken\n", len(busy))
	}
	for _, p := range busy {
		fmt.Fprintf(&b, "  %s %s (%s) is in use by %s\n", strings.ToUpper(p.Proto), p.Addr, p.Name, p.owner)
	}
	switch cmd := processCommand(owner); {
	case owner > 0 && strings.Contains(cmd, " up"):
		fmt.Fprintf(&b, "AgentTrace is already running (pid %d); stop it with `agenttrace down` (with its --data-dir), or move this one with --port-offset N", owner)
	case owner > 0:
		fmt.Fprintf(&b, "Another AgentTrace collector holds them (pid %d); stop it, or move this one with --port-offset N (e.g. 10000)", owner)
	default:
		b.WriteString("Stop that process, or move AgentTrace with --port-offset N (e.g. 10000) or --config / --set")
	}
	return errors.New(b.String())
}
