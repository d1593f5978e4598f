package agenttrace_test

import (
	"context"
	"fmt"

	"github.com/agenttrace/agenttrace/sdk/go/agenttrace"
)

// A session with a task, an LLM call and a tool call. WithDisabled keeps
// the example runnable without a collector; drop it to send the spans.
func Example() {
	client, err := agenttrace.New(agenttrace.WithServiceName("my-agent"), agenttrace.WithDisabled(true))
	if err != nil {
		panic(err)
	}
	defer client.Shutdown(context.Background())

	ctx, sess := client.StartSession(context.Background(), "support-run")
	ctx, task := client.StartSpan(ctx, "answer ticket", agenttrace.WithType(agenttrace.TypeTask))

	_, llm := client.StartSpan(ctx, "plan", agenttrace.WithType(agenttrace.TypeLLMCall),
		agenttrace.WithModel("claude-sonnet-4-20250514", "anthropic"))
	llm.SetTokenUsage(agenttrace.AnthropicUsage(420, 38, 1800, 0, 0))
	llm.End()

	_, tool := client.StartSpan(ctx, "search", agenttrace.WithType(agenttrace.TypeToolExecution))
	tool.SetTool("search", "toolu_01", `{"q":"refund policy"}`)
	tool.SetToolResult(`["policy.md"]`, true)
	tool.End()

	task.End()
	summary, _ := client.EndSession(ctx, sess, agenttrace.StatusOK)
	fmt.Println(summary.Source)
	// Output: sdk
}
