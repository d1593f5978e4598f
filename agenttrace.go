// Package agenttrace holds what the whole distribution shares: the embedded
// default collector configuration and the version.
package agenttrace

import _ "embed"

// DefaultConfig is config.yaml, the collector's configuration when it is
// started without --config: local mode on an embedded SQLite store, every
// listener bound to 127.0.0.1.
//
//go:embed config.yaml
var DefaultConfig []byte

// Version is the AgentTrace version, set at build time with
// -ldflags "-X github.com/agenttrace/agenttrace.Version=…".
var Version = "0.1.0-dev"
