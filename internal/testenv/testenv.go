// Package testenv is the one place that decides whether a test may skip.
// With CI=true a test whose dependency is missing (PostgreSQL, Redis, the
// collector binary, root for a tmpfs) fails instead, so CI never passes by
// skipping; on a developer's machine it skips with the reason.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// CI reports whether the tests run in CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable fails t under CI=true and skips it otherwise.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true, not skipping)", msg)
	}
	t.Skip(msg)
}

// SkipIfShort skips a long test (one that builds or starts processes) under
// -short, except in CI, where every test runs.
func SkipIfShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() && !CI() {
		t.Skipf("-short: %s", what)
	}
}

// EnvCollectorBin names a prebuilt collector binary for tests to use.
const EnvCollectorBin = "AGENTTRACE_COLLECTOR_BIN"

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// CollectorBinary returns $AGENTTRACE_COLLECTOR_BIN, or builds
// cmd/agenttrace-collector once per test binary (call Cleanup from
// TestMain to remove it). Without either it is Unavailable; under -short
// outside CI it does not build.
func CollectorBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(EnvCollectorBin); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			Unavailable(t, "collector unavailable: %s: %v", EnvCollectorBin, err)
		}
		return bin
	}
	SkipIfShort(t, "not building the collector (set "+EnvCollectorBin+")")
	buildOnce.Do(func() {
		goTool := os.Getenv("GO")
		if goTool == "" {
			goTool = "go"
		}
		gomod, err := exec.Command(goTool, "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(gomod)) == "" {
			buildErr = fmt.Errorf("cannot find the module to build the collector: %v", err)
			return
		}
		if buildDir, err = os.MkdirTemp("", "agenttrace-collector-bin"); err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(buildDir, "agenttrace-collector")
		cmd := exec.Command(goTool, "build", "-o", buildPath, "./cmd/agenttrace-collector")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		Unavailable(t, "collector unavailable: %v", buildErr)
	}
	return buildPath
}

// Cleanup removes the binary CollectorBinary built, if any; call it from
// TestMain after m.Run.
func Cleanup() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}
