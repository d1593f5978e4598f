package distribution

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOMEMLIMIT" {
				return v
			}
			return ""
		}
	}

	// An explicit configuration keeps the runtime's default (no limit).
	assert.Zero(t, ApplyMemoryLimit(WithDefaultConfig([]string{"--config", "my.yaml"}), env("")))
	assert.Equal(t, prev, debug.SetMemoryLimit(-1))
	// GOMEMLIMIT wins over local mode's default.
	assert.Zero(t, ApplyMemoryLimit(WithDefaultConfig(nil), env("200MiB")))
	assert.Equal(t, prev, debug.SetMemoryLimit(-1))
	// Local mode (embedded configuration) gets the 80 MiB soft limit.
	assert.EqualValues(t, LocalMemoryLimit, ApplyMemoryLimit(WithDefaultConfig(nil), env("")))
	assert.EqualValues(t, LocalMemoryLimit, debug.SetMemoryLimit(-1))
}
