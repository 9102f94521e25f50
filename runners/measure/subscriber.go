// Package measure holds the measurement side shared by every runner: exact
// per-subscriber accounting (bitmaps of event ids), HdrHistogram latency
// recording from intended times, error classes, the per-second time series,
// process resource use, and the live snapshot the CLI shows as progress.
//
// Runners call it; it builds the results.Point. Keeping this in one place is
// what makes webhook, Kafka and bridge numbers comparable.
package measure

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/internal/sparsehist"
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

// Cause is why a sender gave up on a delivery (dead-lettered it).
type Cause int

// Dead-letter causes, matching results.LossCauses.
const (
	CauseRetriesExhausted Cause = iota
	CauseEndpointGone
	CauseQueueOverflow
	numCauses
)

// Subscriber records one subscriber's deliveries within a point. All
// methods are safe for concurrent use.
type Subscriber struct {
	Name string
	p    *Point

	mu      sync.Mutex
	claimed bitmap // ids whose processing started (idempotency)
	done    bitmap // ids processed: delivered
	dead    bitmap // ids the sender dead-lettered (measured only)
	// deadBy splits dead by the cause of the first dead-lettering.
	deadBy  [numCauses]bitmap
	notSub  bitmap // measured ids from before a late subscriber joined
	expired bitmap // measured ids whose record retention deleted before it was read (expired.go)
	// crash holds measured ids the sender process held when it was killed
	// (crash.go).
	crash   crashLedger
	lastSeq []int64
	// Sparse until they hold many distinct values: a dense full-range
	// histogram is ~184 KiB, too much for 1,000 subscribers at a low rate.
	e2e      *sparsehist.Hist
	attempt  *sparsehist.Hist
	attempts *sparsehist.Hist
	acc      results.Accounting

	errs         [numErrClasses]atomic.Int64
	retries      atomic.Int64
	deadLettered atomic.Int64
	// deadUndelivered is dead-lettered events not (yet) processed: with
	// delivered it counts every event that needs nothing more.
	deadUndelivered atomic.Int64
	// bothDelivered is events both dead-lettered and processed.
	bothDelivered atomic.Int64
	delivered     atomic.Int64
	notSubscribed atomic.Int64
	disabled      atomic.Bool
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
		e2e:      sparsehist.New(results.HistMin, results.HistMax, results.HistDigits),
		attempt:  sparsehist.New(results.HistMin, results.HistMax, results.HistDigits),
		attempts: sparsehist.New(1, 1000, 3),
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
	if q, ok := s.seq(id); !ok || s.p.warm(q, intended) {
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
	warm := s.p.warm(q, intended) // consume.go
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
	if s.dead.has(q) {
		// The sender gave up on it, but the subscriber processed it (a
		// timed-out attempt that completed): delivered after all.
		s.deadUndelivered.Add(-1)
		s.bothDelivered.Add(1)
	}
	s.crash.delivered(q)
	if key >= 0 && key < len(s.lastSeq) {
		if int64(q) < s.lastSeq[key] {
			s.acc.OutOfOrder++
		} else {
			s.lastSeq[key] = int64(q)
		}
	}
	// Counted under the lock, so the counter and the bitmap agree for
	// the ledger cross-check.
	s.delivered.Add(1)
	s.mu.Unlock()
	s.p.series.record(us)
	s.p.faults.del.observe(done)
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

// DeadLetter is DeadLetterCause with cause retries exhausted.
func (s *Subscriber) DeadLetter(id uint64) { s.DeadLetterCause(id, CauseRetriesExhausted) }

// DeadLetterCause counts event id as given up on for this subscriber, for
// cause (the first cause counts when an id is dead-lettered twice). The caller has already excluded warm-up events. An
// event can be dead-lettered and still be processed (an attempt timed out
// at the sender but completed at the subscriber, in either order): it is
// then delivered, not lost, and counted in delivered_after_dead_letter.
// Dead-lettering the same id twice counts once.
func (s *Subscriber) DeadLetterCause(id uint64, cause Cause) {
	q, ok := s.seq(id)
	if !ok || cause < 0 || cause >= numCauses {
		return
	}
	s.mu.Lock()
	first := s.dead.set(q)
	if first {
		s.deadBy[cause].set(q)
	}
	processed := s.done.has(q)
	s.mu.Unlock()
	if !first {
		return
	}
	s.deadLettered.Add(1)
	if processed {
		s.bothDelivered.Add(1)
	} else {
		s.deadUndelivered.Add(1)
	}
}

// NotSubscribed records that measured event id was intended before this
// subscriber joined (join_at), so it was never sent to it: neither
// delivered nor lost. Counting an id twice counts once.
func (s *Subscriber) NotSubscribed(id uint64) {
	q, ok := s.seq(id)
	if !ok {
		return
	}
	s.mu.Lock()
	first := s.notSub.set(q)
	s.mu.Unlock()
	if first {
		s.notSubscribed.Add(1)
	}
}

// Disable marks the subscriber's endpoint as disabled (HTTP 410).
func (s *Subscriber) Disable() { s.disabled.Store(true) }

// DeliveredCount is the number of unique measured deliveries so far.
func (s *Subscriber) DeliveredCount() int64 { return s.delivered.Load() }

// RetryCount is the number of retries scheduled so far (live metrics).
func (s *Subscriber) RetryCount() int64 { return s.retries.Load() }

// DeadLettered is the number of dead-lettered events so far.
func (s *Subscriber) DeadLettered() int64 { return s.deadLettered.Load() }

// Resolved is the number of measured events that need nothing more from
// the sender: processed, or dead-lettered and not processed. An event
// both dead-lettered and processed counts once, so the drain cannot end
// while a retry that would succeed is still waiting.
func (s *Subscriber) Resolved() int64 {
	return s.delivered.Load() + s.deadUndelivered.Load() + s.notSubscribed.Load() + s.crash.undelivered.Load()
}

// P99US is the e2e p99 so far, in microseconds.
func (s *Subscriber) P99US() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.e2e.ValueAtQuantile(99)
}

// result builds the results.Subscriber; the Attempts capability adds
// attempt figures.
func (s *Subscriber) result(sent int64, c results.Capabilities) (results.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var e2e results.Latency
	err := s.e2e.Use(func(h *hdr.Histogram) (err error) {
		e2e, err = results.NewLatency(h)
		return err
	})
	if err != nil {
		return results.Subscriber{}, err
	}
	acc := s.acc
	acc.Sent = sent
	acc.Delivered = s.delivered.Load()
	acc.NotSubscribed = s.notSubscribed.Load()
	acc.Lost = sent - acc.Delivered - acc.NotSubscribed
	acc.Retries = s.retries.Load()
	acc.DeadLettered = s.deadLettered.Load()
	acc.DeliveredAfterDeadLetter = s.bothDelivered.Load()
	if acc.Lost > 0 {
		// Dead letters are recorded for measured ids only, so the
		// undelivered ones of each cause are all lost events.
		c := results.LossCauses{
			RetriesExhausted: int64(s.deadBy[CauseRetriesExhausted].countAndNot(&s.done)),
			EndpointGone:     int64(s.deadBy[CauseEndpointGone].countAndNot(&s.done)),
			QueueOverflow:    int64(s.deadBy[CauseQueueOverflow].countAndNot(&s.done)),
		}
		if n := s.crash.lost(&s.done, &s.dead); s.p.crashBridge {
			c.BridgeCrash = n
		} else {
			c.SenderCrash = n
		}
		c.RetentionExpired = s.expiredLost()
		c.NotDelivered = acc.Lost - c.RetriesExhausted - c.EndpointGone - c.QueueOverflow - c.SenderCrash - c.BridgeCrash - c.RetentionExpired
		acc.LostBy = c
	}
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
	if c.Attempts {
		var a results.Latency
		err := s.attempt.Use(func(h *hdr.Histogram) (err error) {
			a, err = results.NewLatency(h)
			return err
		})
		if err != nil {
			return out, err
		}
		out.Attempt = &a
		c := &results.Counts{}
		err = s.attempts.Use(func(attempts *hdr.Histogram) (err error) {
			if c.Histogram, err = results.EncodeHistogram(attempts); err != nil {
				return err
			}
			if n := attempts.TotalCount(); n > 0 {
				c.Count, c.Mean = n, attempts.Mean()
				c.P50, c.P99, c.Max = attempts.ValueAtQuantile(50), attempts.ValueAtQuantile(99), attempts.Max()
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out.AttemptsPerDelivery = c
	}
	return out, nil
}

// Processed is the number of distinct events this subscriber processed,
// warm-up included: what the receiver itself should have counted (the
// webhook sink's own processed count, for the runner's cross-check).
func (s *Subscriber) Processed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.done.count(0, math.MaxUint64))
}

// ledger cross-checks the counters against the bitmaps, an independent
// record of the same events: measured events have sequence numbers in
// [lo, hi) (every one of them on a single host, every shard-th one in a
// shard: measuredRange). It returns what does not add up; any mismatch is
// a harness bug.
func (s *Subscriber) ledger(lo, hi uint64) []string {
	first, sent := lo, hi-lo
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []string
	delivered := s.delivered.Load()
	if n := int64(s.done.count(first, first+sent)); n != delivered {
		bad = append(bad, fmt.Sprintf("delivered counter %d != %d measured ids processed", delivered, n))
	}
	if n := s.done.count(first+sent, math.MaxUint64); n != 0 {
		bad = append(bad, fmt.Sprintf("%d ids processed that were never sent", n))
	}
	if n := s.dead.count(0, first) + s.dead.count(first+sent, math.MaxUint64); n != 0 {
		bad = append(bad, fmt.Sprintf("%d dead letters for ids that are not measured events", n))
	}
	both, deadOnly := s.dead.countAnd(&s.done), s.dead.countAndNot(&s.done)
	if int64(both) != s.bothDelivered.Load() || int64(deadOnly) != s.deadUndelivered.Load() || int64(both+deadOnly) != s.deadLettered.Load() {
		bad = append(bad, fmt.Sprintf("dead letters: counters %d (%d delivered after, %d not delivered) != bitmap %d (%d, %d)",
			s.deadLettered.Load(), s.bothDelivered.Load(), s.deadUndelivered.Load(), both+deadOnly, both, deadOnly))
	}
	if n := s.notSub.countAnd(&s.done); n != 0 {
		bad = append(bad, fmt.Sprintf("%d events processed that were never sent to this late subscriber", n))
	}
	if n := s.notSub.count(first, first+sent); int64(n) != s.notSubscribed.Load() || s.notSub.count(0, first)+s.notSub.count(first+sent, math.MaxUint64) != 0 {
		bad = append(bad, fmt.Sprintf("not subscribed: counter %d, %d measured ids in the bitmap", s.notSubscribed.Load(), n))
	}
	var byCause uint64
	for i := range s.deadBy {
		byCause += s.deadBy[i].count(0, math.MaxUint64)
	}
	if int64(byCause) != s.deadLettered.Load() {
		bad = append(bad, fmt.Sprintf("dead letters by cause %d != %d dead-lettered", byCause, s.deadLettered.Load()))
	}
	bad = append(bad, s.crash.ledger(&s.done, &s.dead, first, first+sent)...)
	return bad
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

// count is the number of set bits in [lo, hi).
func (b *bitmap) count(lo, hi uint64) uint64 {
	hi = min(hi, uint64(len(b.w))*64)
	var n uint64
	for i := lo; i < hi; {
		wi, off := i>>6, i&63
		w := b.w[wi] >> off
		if span := hi - i; span < 64-off {
			w &= 1<<span - 1
			n += uint64(bits.OnesCount64(w))
			break
		}
		n += uint64(bits.OnesCount64(w))
		i += 64 - off
	}
	return n
}

// countAnd is the number of bits set in both b and o.
func (b *bitmap) countAnd(o *bitmap) uint64 {
	var n uint64
	for i := 0; i < min(len(b.w), len(o.w)); i++ {
		n += uint64(bits.OnesCount64(b.w[i] & o.w[i]))
	}
	return n
}

// countAndNot is the number of bits set in b and not in o.
func (b *bitmap) countAndNot(o *bitmap) uint64 {
	var n uint64
	for i, w := range b.w {
		if i < len(o.w) {
			w &^= o.w[i]
		}
		n += uint64(bits.OnesCount64(w))
	}
	return n
}

// has reports whether bit i is set.
func (b *bitmap) has(i uint64) bool {
	wi := i >> 6
	return wi < uint64(len(b.w)) && b.w[wi]&(1<<(i&63)) != 0
}

func (b *bitmap) clear(i uint64) {
	if wi := i >> 6; wi < uint64(len(b.w)) {
		b.w[wi] &^= 1 << (i & 63)
	}
}
