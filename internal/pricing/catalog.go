// Package pricing is the one place that knows model prices.
//
// The catalog is a data file (catalog.yaml, embedded in the binary) of price
// rows per model, each with the date it took effect, so a price change adds a
// row and never rewrites the cost of older spans. Build compiles the embedded
// catalog, an optional external catalog file and the collector's overrides
// into a Catalog once, at start; Lookup then resolves a span's model name in
// a map without allocating, and Entry.Cost prices exclusive token buckets
// with exact integer arithmetic.
package pricing

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed catalog.yaml
var embeddedCatalog []byte

var embedded = sync.OnceValues(func() (*File, error) {
	f, err := ParseFile(embeddedCatalog)
	if err != nil {
		return nil, fmt.Errorf("embedded pricing catalog: %w", err)
	}
	return f, nil
})

// EmbeddedFile returns the catalog shipped in the binary (parsed once).
// Callers must not modify it.
func EmbeddedFile() (*File, error) { return embedded() }

// Embedded compiles the catalog shipped in the binary alone.
func Embedded() (*Catalog, error) {
	f, err := EmbeddedFile()
	if err != nil {
		return nil, err
	}
	return Build(f.Models)
}

// Catalog resolves model names to price rows. It is immutable once built
// and safe for concurrent use.
type Catalog struct {
	exact  map[string][]*model
	prefix []prefixRule // longest prefix first
	models []*model
}

type model struct {
	id      string
	hosts   []string // folded with hostOf; empty = any host
	layer   int      // later layers (file, config) win over earlier ones
	entries []*Entry // ascending by Effective
}

type prefixRule struct {
	prefix string
	m      *model
}

// Entry is one price row of one model: the rates in force from Effective
// until the model's next row.
type Entry struct {
	// ID is the model's catalog id, e.g. "anthropic/claude-sonnet-4-5".
	ID string
	// Effective is when the row took effect; EffectiveDate is its text form
	// (a date, or an RFC 3339 time when the row starts mid-day).
	Effective     time.Time
	EffectiveDate string

	base  rates
	tiers []tier // ascending by above
}

// rates are micro-USD per million tokens (= pico-USD per token), so that a
// token count times a rate is an exact integer number of pico-dollars.
type rates struct {
	input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning int64
}

type tier struct {
	above int64 // applies when the request's total input tokens exceed it
	r     rates
}

// Build compiles model specs into a catalog. Each argument is a layer
// (embedded catalog, external file, collector config); a spec whose ID
// repeats one from an earlier layer overrides that model (rows merged by
// effective date, a row with the same date replaced, match patterns added),
// and for the same pattern a later layer wins.
func Build(layers ...[]ModelSpec) (*Catalog, error) {
	var errs []error
	byID := make(map[string]*modelBuild)
	var order []string
	for li, layer := range layers {
		if err := ValidateModels(fmt.Sprintf("layer[%d].models", li), layer); err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range layer {
			spec := &layer[i]
			b, ok := byID[spec.ID]
			if !ok {
				b = &modelBuild{id: spec.ID, rows: map[int64]*PriceSpec{}}
				byID[spec.ID] = b
				order = append(order, spec.ID)
			}
			b.layer = li
			if len(spec.Hosts) > 0 {
				b.hosts = spec.Hosts
			}
			b.patterns = append(b.patterns, spec.Match...)
			for j := range spec.Prices {
				t, _ := parseEffective(spec.Prices[j].Effective) // validated above
				b.rows[t.UnixNano()] = &spec.Prices[j]
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	c := &Catalog{exact: make(map[string][]*model)}
	for _, id := range order {
		b := byID[id]
		m := b.compile()
		c.models = append(c.models, m)
		type pattern struct {
			key    string
			prefix bool
		}
		seen := map[pattern]bool{}
		for _, p := range append([]string{idName(id)}, b.patterns...) {
			prefix := strings.HasSuffix(p, "*")
			key := patternKey(strings.TrimSuffix(p, "*"))
			if seen[pattern{key, prefix}] {
				continue
			}
			seen[pattern{key, prefix}] = true
			if prefix {
				c.prefix = append(c.prefix, prefixRule{prefix: key, m: m})
			} else {
				c.exact[key] = append(c.exact[key], m)
			}
		}
	}
	sort.SliceStable(c.prefix, func(i, j int) bool { return len(c.prefix[i].prefix) > len(c.prefix[j].prefix) })
	return c, nil
}

type modelBuild struct {
	id       string
	hosts    []string
	layer    int
	patterns []string
	rows     map[int64]*PriceSpec
}

func (b *modelBuild) compile() *model {
	m := &model{id: b.id, layer: b.layer}
	for _, h := range b.hosts {
		m.hosts = append(m.hosts, hostOf(strings.ToLower(strings.TrimSpace(h))))
	}
	for _, p := range b.rows {
		t, _ := parseEffective(p.Effective)
		m.entries = append(m.entries, compileEntry(b.id, t, p))
	}
	slices.SortFunc(m.entries, func(a, b *Entry) int { return a.Effective.Compare(b.Effective) })
	return m
}

func compileEntry(id string, t time.Time, p *PriceSpec) *Entry {
	e := &Entry{ID: id, Effective: t, EffectiveDate: t.Format(time.DateOnly)}
	if !t.Equal(t.Truncate(24 * time.Hour)) {
		e.EffectiveDate = t.Format(time.RFC3339)
	}
	e.base.input = micros(p.Input, 0)
	e.base.output = micros(p.Output, 0)
	e.base.cacheRead = micros(p.CacheRead, e.base.input)
	e.base.cacheWrite5m = micros(p.CacheWrite5m, e.base.input)
	e.base.cacheWrite1h = micros(p.CacheWrite1h, e.base.cacheWrite5m)
	e.base.reasoning = micros(p.Reasoning, e.base.output)
	for i := range p.LongContext {
		ts := &p.LongContext[i]
		r := rates{
			input:        micros(ts.Input, e.base.input),
			output:       micros(ts.Output, e.base.output),
			cacheRead:    micros(ts.CacheRead, e.base.cacheRead),
			cacheWrite5m: micros(ts.CacheWrite5m, e.base.cacheWrite5m),
		}
		r.cacheWrite1h = micros(ts.CacheWrite1h, e.base.cacheWrite1h)
		// Reasoning is billed as output unless a reasoning rate is listed,
		// so a tier's output rate carries over to reasoning too.
		r.reasoning = micros(ts.Reasoning, e.base.reasoning)
		if ts.Reasoning == nil && p.Reasoning == nil {
			r.reasoning = r.output
		}
		e.tiers = append(e.tiers, tier{above: ts.AboveInputTokens, r: r})
	}
	return e
}

// micros converts USD per million tokens to integer micro-USD per million
// tokens; def is used when the rate is absent.
func micros(v *float64, def int64) int64 {
	if v == nil {
		return def
	}
	f := *v * 1e6
	if f < 0 {
		return 0
	}
	return int64(f + 0.5)
}

// Lookup finds the price row for a model name served by provider (the
// span's gen_ai.provider.name, or "") in force at time at (the span's start;
// the zero time means now). It does not allocate.
//
// Names are normalized (see the catalog.yaml header), then matched exactly,
// then with trailing dates/versions stripped one at a time, then by the
// longest prefix pattern. Models restricted to other hosts are skipped.
func (c *Catalog) Lookup(modelName, provider string, at time.Time) (*Entry, bool) {
	if c == nil || modelName == "" || len(modelName) > maxModelLen {
		return nil, false
	}
	var buf [maxModelLen]byte
	id, implied, ok := normalize(buf[:0], modelName)
	if !ok {
		return nil, false
	}
	host := implied
	if host == "" || (implied != hostBedrock && implied != hostVertex && provider != "") {
		host = hostOf(provider)
	}
	m := c.find(id, host)
	if m == nil {
		return nil, false
	}
	return m.at(at), true
}

func (c *Catalog) find(id []byte, host string) *model {
	full := id
	for range 4 {
		if ms, ok := c.exact[string(id)]; ok {
			if m := pick(ms, host); m != nil {
				return m
			}
		}
		var stripped bool
		if id, stripped = stripVersion(id); !stripped {
			break
		}
	}
	for i := range c.prefix {
		r := &c.prefix[i]
		if len(full) >= len(r.prefix) && string(full[:len(r.prefix)]) == r.prefix {
			if _, ok := r.m.hostScore(host); ok {
				return r.m
			}
		}
	}
	return nil
}

// pick chooses among models sharing a pattern: a later layer first, then a
// model restricted to this host over an unrestricted one.
func pick(ms []*model, host string) *model {
	var best *model
	bestScore := -1
	for _, m := range ms {
		s, ok := m.hostScore(host)
		if !ok {
			continue
		}
		if score := m.layer*4 + s; score > bestScore {
			best, bestScore = m, score
		}
	}
	return best
}

// hostScore says whether the model's prices apply on host: 2 when the model
// lists the host, 1 when it is unrestricted, 0 when the host is unknown.
func (m *model) hostScore(host string) (int, bool) {
	if len(m.hosts) == 0 {
		return 1, true
	}
	if host == "" {
		return 0, true
	}
	for _, h := range m.hosts {
		if h == host {
			return 2, true
		}
	}
	return 0, false
}

// at returns the row in force at t: the last row that took effect at or
// before t, the first row for earlier times, the latest for the zero time.
func (m *model) at(t time.Time) *Entry {
	n := len(m.entries)
	if t.IsZero() {
		return m.entries[n-1]
	}
	for i := n - 1; i > 0; i-- {
		if !m.entries[i].Effective.After(t) {
			return m.entries[i]
		}
	}
	return m.entries[0]
}

// Len is the number of models in the catalog.
func (c *Catalog) Len() int { return len(c.models) }
