// Package agenttrace is the AgentTrace Go SDK: it traces AI agents — sessions,
// a span for every step (task, LLM call, tool, retrieval …), exact token usage
// in exclusive buckets, errors, and "running" span-start events for live
// views — and sends them to the AgentTrace collector over the native protocol
// (gRPC by default, HTTP with protobuf or JSON, or UDP).
//
//	client, err := agenttrace.New(agenttrace.WithServiceName("my-agent"))
//	defer client.Shutdown(context.Background())
//	ctx, sess := client.StartSession(ctx, "support-run")
//	ctx, span := client.StartSpan(ctx, "answer", agenttrace.WithType(agenttrace.TypeTask))
//	…
//	span.End()
//	summary, _ := client.EndSession(ctx, sess, agenttrace.StatusOK)
//
// The SDK never blocks the agent on the network and never returns span errors
// to it: StartSpan and End record into a bounded queue that a background
// goroutine batches and exports. When the queue is full or the collector is
// away, spans are dropped and counted (Client.Stats) and one warning is
// logged. Only EndSession waits on the network (bounded by a timeout), since
// its result is the collector's summary.
package agenttrace
