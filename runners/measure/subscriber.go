// Package measure holds the measurement side shared by every runner: exact
// per-subscriber accounting (bitmaps of event ids), HdrHistogram latency
// recording from intended times, error classes, the per-second time series,
// process resource use, and the live snapshot the CLI shows as progress.
//
// Runners call it; it builds the results.Point. Keeping this in one place is
// what makes webhook, Kafka and bridge numbers comparable.
package measure

import (
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
)

// ErrClass is an error class counted per subscriber.
type ErrClass int

// Error classes, matching results.Errors.
const (
	ErrTimeout ErrClass = iota
	ErrRefused
	ErrHTTP4xx
	ErrHTTP5xx
	ErrSignature
	ErrBroker
	ErrOther
	numErrClasses
)

// Subscriber records one subscriber's deliveries within a point. All
// methods are safe for concurrent use.
type Subscriber struct {
	Name string
	p    *Point

	mu       sync.Mutex
	claimed  bitmap // ids whose processing started (idempotency)
	done     bitmap // ids processed: delivered
	lastSeq  []int64
	e2e      *hdr.Histogram
	attempt  *hdr.Histogram
	attempts *hdr.Histogram
	acc      results.Accounting

	errs         [numErrClasses]atomic.Int64
	retries      atomic.Int64
	deadLettered atomic.Int64
	delivered    atomic.Int64
	disabled     atomic.Bool
}

func newSubscriber(name string, p *Point, keys int) *Subscriber {
	last := make([]int64, keys)
	for i := range last {
		last[i] = -1
	}
	return &Subscriber{
		Name:     name,
		p:        p,
		lastSeq:  last,
		e2e:      results.NewHistogram(),
		attempt:  results.NewHistogram(),
		attempts: hdr.New(1, 1000, 3),
	}
}

// seq maps an event id to its dense sequence number; ok is false for ids
// that do not belong to this point (stray records from an old run).
func (s *Subscriber) seq(id uint64) (uint64, bool) {
	if id < s.p.idBase {
		return 0, false
	}
	q := id - s.p.idBase
	return q, q < 1<<40
}

// Claim marks id as being processed. It returns false when the id was
// claimed before: the caller must treat the delivery as a duplicate (count
// it with Duplicate) and not process it again, as an idempotent receiver
// would. Ids of other runs are rejected with false and not counted.
func (s *Subscriber) Claim(id uint64) bool {
	q, ok := s.seq(id)
	if !ok {
		return false
	}
	s.mu.Lock()
	first := s.claimed.set(q)
	s.mu.Unlock()
	return first
}

// Release undoes a Claim whose processing did not happen (the request was
// dropped before the application saw it), so a retry is processed normally.
func (s *Subscriber) Release(id uint64) {
	q, ok := s.seq(id)
	if !ok {
		return
	}
	s.mu.Lock()
	s.claimed.clear(q)
	s.mu.Unlock()
}

// Duplicate counts a repeated delivery of a measured event. Ids of other
// runs are ignored: Claim returns false for them too, and callers (the
// webhook sink) pass every false Claim here, so a stray delivery from an
// old run must not count as a duplicate of this one.
func (s *Subscriber) Duplicate(id uint64, intended int64) {
	if _, ok := s.seq(id); !ok || intended < s.p.measuredStart {
		return
	}
	s.mu.Lock()
	s.acc.Duplicates++
	s.mu.Unlock()
}

// Delivered records that the subscriber finished processing event id (key
// index key) at done (load.Now() timeline); the e2e latency is done -
// intended. A second Delivered for the same id counts a duplicate. Warm-up
// events (intended before the measured start) are accepted and ignored.
func (s *Subscriber) Delivered(id uint64, key int, intended, done int64) {
	q, ok := s.seq(id)
	if !ok {
		return
	}
	warm := intended < s.p.measuredStart
	us := micros(intended, done)
	s.mu.Lock()
	s.claimed.set(q)
	if !s.done.set(q) {
		if !warm {
			s.acc.Duplicates++
		}
		s.mu.Unlock()
		return
	}
	if warm {
		s.mu.Unlock()
		return
	}
	_ = s.e2e.RecordValue(us)
	if key >= 0 && key < len(s.lastSeq) {
		if int64(q) < s.lastSeq[key] {
			s.acc.OutOfOrder++
		} else {
			s.lastSeq[key] = int64(q)
		}
	}
	s.mu.Unlock()
	s.delivered.Add(1)
	s.p.series.record(us)
}

// Attempt records one delivery attempt's latency (webhook).
func (s *Subscriber) Attempt(d time.Duration) {
	us := d.Microseconds()
	if us < 1 {
		us = 1
	}
	s.mu.Lock()
	_ = s.attempt.RecordValue(us)
	s.mu.Unlock()
}

// Attempts records how many attempts a finished delivery took (webhook).
func (s *Subscriber) Attempts(n int) {
	s.mu.Lock()
	_ = s.attempts.RecordValue(int64(n))
	s.mu.Unlock()
}

// Error counts one error of class c.
func (s *Subscriber) Error(c ErrClass) { s.errs[c].Add(1) }

// Retry counts one scheduled retry.
func (s *Subscriber) Retry() { s.retries.Add(1) }

// DeadLetter counts one event given up on for this subscriber.
func (s *Subscriber) DeadLetter() { s.deadLettered.Add(1) }

// Disable marks the subscriber's endpoint as disabled (HTTP 410).
func (s *Subscriber) Disable() { s.disabled.Store(true) }

// DeliveredCount is the number of unique measured deliveries so far.
func (s *Subscriber) DeliveredCount() int64 { return s.delivered.Load() }

// RetryCount is the number of retries scheduled so far (live metrics).
func (s *Subscriber) RetryCount() int64 { return s.retries.Load() }

// DeadLettered is the number of dead-lettered events so far.
func (s *Subscriber) DeadLettered() int64 { return s.deadLettered.Load() }

// P99US is the e2e p99 so far, in microseconds.
func (s *Subscriber) P99US() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.e2e.ValueAtQuantile(99)
}

// result builds the results.Subscriber; webhook adds attempt figures.
func (s *Subscriber) result(sent int64, webhook bool) (results.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e2e, err := results.NewLatency(s.e2e)
	if err != nil {
		return results.Subscriber{}, err
	}
	acc := s.acc
	acc.Sent = sent
	acc.Delivered = s.delivered.Load()
	acc.Lost = sent - acc.Delivered
	acc.Retries = s.retries.Load()
	acc.DeadLettered = s.deadLettered.Load()
	out := results.Subscriber{
		Name:       s.Name,
		E2E:        e2e,
		Accounting: acc,
		Disabled:   s.disabled.Load(),
		Errors: results.Errors{
			Timeout:           s.errs[ErrTimeout].Load(),
			Refused:           s.errs[ErrRefused].Load(),
			HTTP4xx:           s.errs[ErrHTTP4xx].Load(),
			HTTP5xx:           s.errs[ErrHTTP5xx].Load(),
			SignatureFailures: s.errs[ErrSignature].Load(),
			Broker:            s.errs[ErrBroker].Load(),
			Other:             s.errs[ErrOther].Load(),
		},
	}
	if webhook {
		a, err := results.NewLatency(s.attempt)
		if err != nil {
			return out, err
		}
		out.Attempt = &a
		enc, err := results.EncodeHistogram(s.attempts)
		if err != nil {
			return out, err
		}
		c := &results.Counts{Histogram: enc}
		if n := s.attempts.TotalCount(); n > 0 {
			c.Count, c.Mean = n, s.attempts.Mean()
			c.P50, c.P99, c.Max = s.attempts.ValueAtQuantile(50), s.attempts.ValueAtQuantile(99), s.attempts.Max()
		}
		out.AttemptsPerDelivery = c
	}
	return out, nil
}

// bitmap is a growable bitset indexed by event sequence number.
type bitmap struct{ w []uint64 }

// set sets bit i and reports whether it was previously clear.
func (b *bitmap) set(i uint64) bool {
	wi := i >> 6
	if wi >= uint64(len(b.w)) {
		n := 2 * len(b.w)
		if n <= int(wi) {
			n = int(wi) + 1024
		}
		nw := make([]uint64, n)
		copy(nw, b.w)
		b.w = nw
	}
	m := uint64(1) << (i & 63)
	was := b.w[wi]&m != 0
	b.w[wi] |= m
	return !was
}

func (b *bitmap) clear(i uint64) {
	if wi := i >> 6; wi < uint64(len(b.w)) {
		b.w[wi] &^= 1 << (i & 63)
	}
}
