package main

import (
	"go.opentelemetry.io/collector/otelcol"

	"github.com/agenttrace/agenttrace/internal/distribution"
)

// components is the distribution's component list; it lives in
// internal/distribution so `agenttrace up` runs the same collector.
func components() (otelcol.Factories, error) { return distribution.Components() }
