package storage

import "fmt"

// CheckLimit applies the page-size rules every backend shares: 0 means
// DefaultLimit, and anything outside 1..MaxLimit is ErrInvalidQuery.
func CheckLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, fmt.Errorf("limit %d not in 1..%d: %w", limit, MaxLimit, ErrInvalidQuery)
	}
	return limit, nil
}

// PerSecond is n over the range's length in seconds; an open end of the
// range is taken from the data (first start, last end). 0 when empty.
func (r TimeRange) PerSecond(n int64, first, last int64) float64 {
	from, to := r.From, r.To
	if from == 0 {
		from = first
	}
	if to == 0 {
		to = last
	}
	if to <= from {
		return 0
	}
	return float64(n) / (float64(to-from) / 1e9)
}
