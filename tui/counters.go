package tui

import (
	"time"
)

// rates keeps the finished spans of the last minute for the live counters:
// spans per second (over 10 s), tokens per minute and dollars per hour
// (both over 60 s). A running span is counted once, when it finishes.
type rates struct {
	events []rateEvent
}

type rateEvent struct {
	at     time.Time
	tokens int64
	cost   float64
}

const rateWindow = time.Minute

func (r *rates) add(at time.Time, tokens int64, cost float64) {
	r.events = append(r.events, rateEvent{at, tokens, cost})
}

// snapshot drops events older than the window and returns the rates at now.
func (r *rates) snapshot(now time.Time) (spansPerSec, tokensPerMin, usdPerHour float64) {
	cut := 0
	for cut < len(r.events) && now.Sub(r.events[cut].at) > rateWindow {
		cut++
	}
	r.events = r.events[cut:]
	var recent int
	var tokens int64
	var cost float64
	for _, e := range r.events {
		if now.Sub(e.at) <= 10*time.Second {
			recent++
		}
		tokens += e.tokens
		cost += e.cost
	}
	return float64(recent) / 10, float64(tokens), cost * 60
}
