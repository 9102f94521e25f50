package measure

import (
	"fmt"
	"sync/atomic"
)

// crashLedger records the measured events a sender process held when it
// was killed (issue 10 item 4: sender-crash). Like dead letters they need
// nothing more from the sender (it forgot them), so the drain does not wait
// for them; unlike dead letters no one gave up on them and no dead-letter
// line is written. One processed anyway (an attempt in flight at the kill
// that the subscriber finished) is delivered, not lost.
type crashLedger struct {
	ids bitmap // guarded by Subscriber.mu
	// undelivered counts ids in ids not processed (for Resolved).
	undelivered atomic.Int64
	n           atomic.Int64
}

// delivered is called under Subscriber.mu when q is first processed.
func (c *crashLedger) delivered(q uint64) {
	if c.n.Load() > 0 && c.ids.has(q) {
		c.undelivered.Add(-1)
	}
}

// lost is the number of crash-held ids neither processed nor dead-lettered
// (called under Subscriber.mu).
func (c *crashLedger) lost(done, dead *bitmap) int64 {
	if c.n.Load() == 0 {
		return 0
	}
	var n int64
	for i, w := range c.ids.w {
		if i < len(done.w) {
			w &^= done.w[i]
		}
		if i < len(dead.w) {
			w &^= dead.w[i]
		}
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return n
}

// ledger cross-checks the counters against the bitmap and that no event is
// both dead-lettered and crash-lost (under Subscriber.mu).
func (c *crashLedger) ledger(done, dead *bitmap, lo, hi uint64) []string {
	var bad []string
	if n := c.ids.countAnd(dead); n != 0 {
		// The sender reports a dead letter before forgetting an event, so
		// the parent never records a crash loss for it.
		bad = append(bad, fmt.Sprintf("%d events both dead-lettered and lost in a sender crash", n))
	}
	if n := c.ids.count(0, lo) + c.ids.count(hi, ^uint64(0)); n != 0 {
		bad = append(bad, fmt.Sprintf("%d sender-crash losses for ids that are not measured events", n))
	}
	if all, un := int64(c.ids.count(0, ^uint64(0))), int64(c.ids.countAndNot(done)); all != c.n.Load() || un != c.undelivered.Load() {
		bad = append(bad, fmt.Sprintf("sender crash: counters %d (%d not delivered) != bitmap %d (%d)", c.n.Load(), c.undelivered.Load(), all, un))
	}
	return bad
}

// CrashLost records that the sender process held event id (intended at
// intended, load.Now() timeline) for this subscriber when it was killed:
// its queue, retry timers and attempts in flight died with it. Warm-up
// events and ids of other runs are ignored; recording an id twice counts
// once; an event already dead-lettered is not recorded. Results attribute the event to lost_by.sender_crash unless the
// subscriber processes it (or has processed it) anyway. It reports whether
// the event was recorded (by this call).
func (s *Subscriber) CrashLost(id uint64, intended int64) bool {
	q, ok := s.seq(id)
	if !ok || intended < s.p.measuredStart {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead.has(q) {
		// Dead-lettered before the kill, the sender's report of being done
		// with it lost in the kill: a dead letter, not a crash loss.
		return false
	}
	if !s.crash.ids.set(q) {
		return false
	}
	s.crash.n.Add(1)
	if !s.done.has(q) {
		s.crash.undelivered.Add(1)
	}
	return true
}

// HasProcessed reports whether the subscriber has processed measured event
// id (at least once). Runners use it after the drain to say how many of
// the events a crash took were completed anyway (results.Crash.Completed).
func (s *Subscriber) HasProcessed(id uint64) bool {
	q, ok := s.seq(id)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done.has(q)
}

// CrashIsBridge makes the point attribute CrashLost losses to the bridge
// (lost_by.bridge_crash) rather than the webhook sender. Call before the
// load starts.
func (p *Point) CrashIsBridge() { p.crashBridge = true }

// CrashLostCount is the number of events recorded with CrashLost.
func (s *Subscriber) CrashLostCount() int64 { return s.crash.n.Load() }
