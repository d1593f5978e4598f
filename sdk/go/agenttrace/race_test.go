//go:build race

package agenttrace

// raceEnabled: the race detector slows everything ~10×; timing bounds widen.
const raceEnabled = true
