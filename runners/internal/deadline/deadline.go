// Package deadline is a min-heap of values ordered by an int64 deadline,
// shared by the precise sleeper (runners/timer) and the webhook retry
// queue. It is generic rather than container/heap so that pushing a value
// does not box it: both users sit on paths that must not allocate per event.
// It is not safe for concurrent use; callers hold their own lock.
package deadline

// Heap holds values by deadline; the zero value is an empty heap.
type Heap[T any] struct {
	items []entry[T]
}

type entry[T any] struct {
	at int64
	v  T
}

// Len is the number of values held.
func (h *Heap[T]) Len() int { return len(h.items) }

// Push adds v with deadline at and reports whether it is now the earliest.
func (h *Heap[T]) Push(at int64, v T) (earliest bool) {
	h.items = append(h.items, entry[T]{at: at, v: v})
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.items[p].at <= h.items[i].at {
			break
		}
		h.items[p], h.items[i] = h.items[i], h.items[p]
		i = p
	}
	return i == 0
}

// Next returns the earliest deadline, and false when the heap is empty.
func (h *Heap[T]) Next() (int64, bool) {
	if len(h.items) == 0 {
		return 0, false
	}
	return h.items[0].at, true
}

// PopDue removes every value whose deadline is at or before now, appending
// them to out in deadline order.
func (h *Heap[T]) PopDue(now int64, out []T) []T {
	for len(h.items) > 0 && h.items[0].at <= now {
		out = append(out, h.items[0].v)
		last := len(h.items) - 1
		h.items[0] = h.items[last]
		h.items[last] = entry[T]{} // drop the reference for the GC
		h.items = h.items[:last]
		h.down(0)
	}
	return out
}

// Remove takes out every value for which drop returns true, appending them
// to out, and restores the heap.
func (h *Heap[T]) Remove(drop func(T) bool, out []T) []T {
	kept := h.items[:0]
	for _, e := range h.items {
		if drop(e.v) {
			out = append(out, e.v)
		} else {
			kept = append(kept, e)
		}
	}
	for i := len(kept); i < len(h.items); i++ {
		h.items[i] = entry[T]{}
	}
	h.items = kept
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	return out
}

// Drain removes every value, appending them to out.
func (h *Heap[T]) Drain(out []T) []T {
	for i := range h.items {
		out = append(out, h.items[i].v)
		h.items[i] = entry[T]{}
	}
	h.items = h.items[:0]
	return out
}

// down restores the heap property below i.
func (h *Heap[T]) down(i int) {
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.items) && h.items[l].at < h.items[m].at {
			m = l
		}
		if r < len(h.items) && h.items[r].at < h.items[m].at {
			m = r
		}
		if m == i {
			return
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}
