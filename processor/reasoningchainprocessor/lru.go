package reasoningchainprocessor

import "container/list"

// lru is a map bounded to capacity entries; the least recently used entry
// is evicted first.
type lru[K comparable, V any] struct {
	capacity int
	order    list.List // front: most recently used; values are *lruEntry
	index    map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key   K
	value V
}

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{capacity: capacity, index: make(map[K]*list.Element)}
}

// get returns the value for key and marks it used.
func (l *lru[K, V]) get(key K) (V, bool) {
	if e, ok := l.index[key]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).value, true
	}
	var zero V
	return zero, false
}

// put stores value under key, evicting the least recently used entry when
// the map is full.
func (l *lru[K, V]) put(key K, value V) {
	if e, ok := l.index[key]; ok {
		e.Value.(*lruEntry[K, V]).value = value
		l.order.MoveToFront(e)
		return
	}
	l.index[key] = l.order.PushFront(&lruEntry[K, V]{key: key, value: value})
	for l.order.Len() > l.capacity {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.index, oldest.Value.(*lruEntry[K, V]).key)
	}
}

func (l *lru[K, V]) len() int { return l.order.Len() }
