package flow

import (
	"sync"
	"sync/atomic"
)

// cells is an int64 per event sequence number (a completion time, an
// intended time), allocated in pages as the run reaches them, so memory
// follows the events actually sent (validation bounds them:
// scenarios.MaxFlowCells). Zero means unset. Safe for concurrent use.
type cells struct {
	mu    sync.Mutex
	pages [maxSeq / pageSize]atomic.Pointer[[pageSize]atomic.Int64]
}

const pageSize = 4096

func (c *cells) page(seq uint64, alloc bool) *[pageSize]atomic.Int64 {
	i := seq / pageSize
	if i >= uint64(len(c.pages)) {
		return nil
	}
	p := c.pages[i].Load()
	if p == nil && alloc {
		c.mu.Lock()
		if p = c.pages[i].Load(); p == nil {
			p = new([pageSize]atomic.Int64)
			c.pages[i].Store(p)
		}
		c.mu.Unlock()
	}
	return p
}

func (c *cells) set(seq uint64, v int64) {
	if p := c.page(seq, true); p != nil {
		p[seq%pageSize].Store(v)
	}
}

// setOnce sets the cell when it is unset and reports whether it did.
func (c *cells) setOnce(seq uint64, v int64) bool {
	p := c.page(seq, true)
	return p != nil && p[seq%pageSize].CompareAndSwap(0, v)
}

func (c *cells) get(seq uint64) int64 {
	if p := c.page(seq, false); p != nil {
		return p[seq%pageSize].Load()
	}
	return 0
}
