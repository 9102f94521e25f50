package webhook

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The dispatcher's global in-flight cap (systems.webhook.max_in_flight_total,
// issue 15 "Overload"). max_in_flight bounds the attempts of one endpoint;
// with 1,000 subscribers that is 64,000 attempts, each with its goroutine,
// request and response buffers and connection, and a harness that fell
// behind grew to 751-1,406 MiB. The cap bounds the attempts of all
// endpoints together:
//
//   - A worker (one attempt at a time) holds a slot. An endpoint with
//     queued deliveries that finds every slot taken waits in line (FIFO);
//     a worker that finishes, or that sees others in line after an
//     attempt, hands its slot to the first endpoint in line, so a few slow
//     endpoints cannot hold every slot.
//   - While endpoints wait in line, Dispatch waits before fanning out the
//     next event: the sender cannot take more, and the schedule feels it.
//     This is back-pressure, not loss: the wait shows as generator lag (a
//     point whose lag p99 exceeds a second is marked overloaded, exit 3),
//     and the point's notes give the number of waits and their total.
//
// Below the cap nothing changes: no endpoint waits and Dispatch never does.

// DefaultMaxInFlightTotal is the cap when the scenario does not set one.
// At 12 to 53 KB per delivery in flight (docs/cost.md) it bounds the
// sender's attempts to about 50 to 220 MB.
const DefaultMaxInFlightTotal = 4096

type slots struct {
	d    *Dispatcher
	max  int
	mu   sync.Mutex
	cond *sync.Cond
	used int
	// line holds endpoints waiting for a slot, each once (inLine).
	line     []*endpoint
	inLine   map[*endpoint]bool
	nLine    atomic.Int32
	waits    atomic.Int64
	waitedNs atomic.Int64
	peak     atomic.Int64
}

func (s *slots) init(d *Dispatcher, max int) {
	s.d, s.max, s.inLine = d, max, map[*endpoint]bool{}
	s.cond = sync.NewCond(&s.mu)
}

// take gives e a slot for a new worker, or puts e in line. e.mu is held.
func (s *slots) take(e *endpoint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used < s.max {
		s.used++
		if int64(s.used) > s.peak.Load() {
			s.peak.Store(int64(s.used))
		}
		return true
	}
	s.line1(e)
	return false
}

// line1 puts e at the end of the line unless it is in it. s.mu is held.
func (s *slots) line1(e *endpoint) {
	if !s.inLine[e] {
		s.inLine[e] = true
		s.line = append(s.line, e)
		s.nLine.Add(1)
	}
}

// contended reports whether endpoints wait for a slot.
func (s *slots) contended() bool { return s.nLine.Load() > 0 }

// yield is called by a worker of e that stops with deliveries still queued
// (others wait): e goes back in line. e.mu is not held.
func (s *slots) yield(e *endpoint) {
	s.mu.Lock()
	s.line1(e)
	s.mu.Unlock()
}

// release frees a worker's slot: it passes to the first endpoint in line
// that still has deliveries queued and room for a worker, else it is
// returned. e.mu of the caller's endpoint is not held.
func (s *slots) release() {
	for {
		s.mu.Lock()
		if len(s.line) == 0 {
			s.used--
			s.mu.Unlock()
			return
		}
		e := s.line[0]
		s.line[0] = nil
		s.line = s.line[1:]
		if len(s.line) == 0 {
			s.line = s.line[:0:0]
		}
		delete(s.inLine, e)
		if s.nLine.Add(-1) == 0 {
			s.cond.Broadcast()
		}
		s.mu.Unlock()
		e.mu.Lock()
		if !s.d.closed.Load() && e.q.len() > 0 && e.workers < e.max {
			e.workers++
			e.mu.Unlock()
			s.d.wg.Add(1) // the releasing worker has not called Done yet
			go e.work()
			return
		}
		e.mu.Unlock()
	}
}

// wait holds Dispatch while endpoints wait for a slot (back-pressure on
// the schedule), until the line is empty or the dispatcher stops.
func (s *slots) wait() {
	if !s.contended() {
		return
	}
	t0 := time.Now()
	s.mu.Lock()
	for len(s.line) > 0 && !s.d.closed.Load() {
		s.cond.Wait()
	}
	s.mu.Unlock()
	s.waits.Add(1)
	s.waitedNs.Add(int64(time.Since(t0)))
}

// wake releases Dispatch calls waiting in wait (Stop).
func (s *slots) wake() {
	s.mu.Lock()
	s.cond.Broadcast()
	s.mu.Unlock()
}

// MaxInFlightTotal is the dispatcher's cap on attempts in flight across
// endpoints (max_in_flight_total).
func (d *Dispatcher) MaxInFlightTotal() int { return d.slots.max }

// PeakInFlight is the most attempts (workers) in flight at once so far.
func (d *Dispatcher) PeakInFlight() int64 { return d.slots.peak.Load() }

// CapWaits is how often Dispatch waited for the cap, and for how long in all.
func (d *Dispatcher) CapWaits() (int64, time.Duration) {
	return d.slots.waits.Load(), time.Duration(d.slots.waitedNs.Load())
}

// capNote describes the waits for the results' notes ("" when none).
func (d *Dispatcher) capNote() string {
	n, t := d.CapWaits()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("webhook: every one of the %d attempts in flight the sender allows (systems.webhook.max_in_flight_total) was taken: the schedule waited %d time(s), %v in all, before fanning out events (back-pressure: it shows as generator lag)",
		d.slots.max, n, t.Round(time.Millisecond))
}
