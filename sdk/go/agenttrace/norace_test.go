//go:build !race

package agenttrace

const raceEnabled = false
