// Package apiserver is AgentTrace's HTTP API: the REST endpoints under
// /api/v1 that the dashboard, the CLI and the TUI read, a WebSocket stream of
// live spans, streamed exports (JSON, CSV, Parquet), an OpenAPI document that
// is generated from the same route table that registers the handlers, and
// the dashboard's static files.
//
// The server reads through the storage interfaces only, so it serves any
// backend (SQLite file or PostgreSQL). It runs standalone (`agenttrace api`)
// or hosted in the collector by the agenttrace_api extension.
//
// Conventions: JSON field names are snake_case; ids are lowercase hex; times
// are given as Unix nanoseconds and, where a person reads them, RFC 3339;
// costs are numbers in USD and null when unpriced (never 0 for an unpriced
// model). Errors are {"error":{"code","message"}}. Every query parameter is
// validated and unknown parameters are rejected, so bad input is a 400 that
// names the parameter, never a 500.
package apiserver
