package reasoningchainprocessor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHostileShapes: parent cycles, a span that is its own parent, duplicate
// span ids and a chain 10,000 parents deep are analysed and emitted without
// hanging or overflowing the stack, and every span comes out.
func TestHostileShapes(t *testing.T) {
	deep := make([]sp, 0, 10_000)
	for i := 1; i <= 10_000; i++ {
		deep = append(deep, sp{id: i, parent: i - 1, name: "step", start: int64(i), end: int64(i + 1), attrs: llmAttrs(10, 1)})
	}
	for name, tc := range map[string]struct {
		spans []sp
	}{
		"cycle": {[]sp{
			{id: 1, name: "root", start: 0, end: 100, attrs: agentAttrs("a")},
			{id: 2, parent: 3, name: "a", start: 10, end: 20, attrs: llmAttrs(10, 1)},
			{id: 3, parent: 2, name: "b", start: 20, end: 30, attrs: toolAttrs("t", "{}")},
		}},
		"three-cycle without root": {[]sp{
			{id: 2, parent: 4, name: "a", start: 10, end: 20, attrs: llmAttrs(10, 1)},
			{id: 3, parent: 2, name: "b", start: 20, end: 30, attrs: toolAttrs("t", "{}")},
			{id: 4, parent: 3, name: "c", start: 30, end: 40, attrs: llmAttrs(10, 1)},
		}},
		"self-parent": {[]sp{
			{id: 1, name: "root", start: 0, end: 100, attrs: agentAttrs("a")},
			{id: 2, parent: 2, name: "self", start: 10, end: 20, attrs: llmAttrs(10, 1)},
		}},
		"duplicate ids": {[]sp{
			{id: 1, name: "root", start: 0, end: 100, attrs: agentAttrs("a")},
			{id: 2, parent: 1, name: "first", start: 10, end: 20, attrs: llmAttrs(10, 1)},
			{id: 2, parent: 1, name: "second", start: 10, end: 20, attrs: toolAttrs("t", "{}")},
			{id: 1, parent: 2, name: "root again", start: 0, end: 100},
		}},
		"10,000 deep": {append([]sp{{id: 0x7fff0000, name: "unrelated root", start: 0, end: 1}}, deep...)},
	} {
		t.Run(name, func(t *testing.T) {
			p, sink := startProcessor(t, testConfig())
			done := make(chan error, 1)
			go func() {
				err := p.ConsumeTraces(context.Background(), batch(1, "agent", tc.spans...))
				done <- errors.Join(err, p.Shutdown(context.Background()))
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(20 * time.Second):
				t.Fatal("the processor hung")
			}
			require.Equal(t, len(tc.spans), sink.SpanCount())
		})
	}
}
