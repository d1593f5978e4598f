// Command agent is a small instrumented agent for the AgentTrace Go SDK: a
// task that asks a (fake) LLM, runs the tool it picked and answers with a
// second LLM call, in a session whose summary the collector returns.
//
//	go run ./sdk/go/examples/agent                       # collector on 127.0.0.1:4320 (gRPC)
//	AGENTTRACE_EXPORTER=http go run ./sdk/go/examples/agent
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/agenttrace/agenttrace/sdk/go/agenttrace"
)

func main() {
	client, err := agenttrace.New(agenttrace.WithServiceName("example-agent"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Shutdown(context.Background())

	ctx, sess := client.StartSession(context.Background(), "weather question", agenttrace.WithFramework("handmade"))
	answer, err := run(ctx, client, "What should I wear in Paris today?")
	status := agenttrace.StatusOK
	if err != nil {
		status = agenttrace.StatusError
	}
	summary, serr := client.EndSession(ctx, sess, status)
	fmt.Println("answer:", answer)
	fmt.Printf("session %s (%s): %d spans, %d LLM calls, %d tool calls, %d tokens",
		summary.SessionID, summary.Source, summary.SpanCount, summary.LLMCalls, summary.ToolCalls, summary.TotalTokens)
	if summary.CostUSD != nil {
		fmt.Printf(", $%.6f", *summary.CostUSD)
	}
	fmt.Println()
	if serr != nil {
		fmt.Println("(the collector did not answer; these are the SDK's own totals:", serr, ")")
	}
	fmt.Printf("delivery: %+v\n", client.Stats())
}

func run(ctx context.Context, c *agenttrace.Client, question string) (answer string, err error) {
	ctx, task := c.StartSpan(ctx, "answer question", agenttrace.WithType(agenttrace.TypeTask))
	defer func() { task.RecordError(err); task.End() }()

	toolCall := llm(ctx, c, "plan", question, 812, 64)
	_, tool := c.StartSpan(ctx, "get_weather", agenttrace.WithType(agenttrace.TypeToolExecution),
		agenttrace.WithTool("get_weather"))
	tool.SetTool("get_weather", "call_1", toolCall)
	weather, err := getWeather(ctx, "Paris")
	tool.RecordError(err)
	tool.SetToolResult(weather, err == nil)
	tool.End()
	if err != nil {
		return "", err
	}
	return llm(ctx, c, "answer", question+"\n"+weather, 930, 41), nil
}

// llm stands in for a chat completion call with OpenAI-style usage.
func llm(ctx context.Context, c *agenttrace.Client, name, prompt string, promptTokens, completionTokens int64) string {
	_, span := c.StartSpan(ctx, name, agenttrace.WithType(agenttrace.TypeLLMCall),
		agenttrace.WithModel("gpt-4o-mini", "openai"))
	defer span.End()
	temp := 0.2
	span.SetRequest(agenttrace.LLMRequest{Temperature: &temp, StopReason: "stop"})
	span.SetPrompt(prompt)
	time.Sleep(20 * time.Millisecond) // the "network"
	out := `get_weather({"city":"Paris"})`
	if strings.Contains(prompt, "°C") {
		out = "A light jacket: 18 °C and cloudy."
	}
	span.SetResponse(out)
	span.SetTokenUsage(agenttrace.OpenAIUsage(promptTokens, completionTokens, 512, 0))
	return out
}

func getWeather(ctx context.Context, city string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if city == "" {
		return "", errors.New("no city")
	}
	return `{"city":"Paris","temp":"18 °C","sky":"cloudy"}`, nil
}
