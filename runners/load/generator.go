// Package load is evbench's open-loop load generator: a pacer that works
// from intended send times (constant, ramp, steps, spike, Poisson), unique
// 64-bit event ids, event keys and realistic JSON payloads.
//
// Open loop means a slow system never slows the schedule: the generator
// hands each event to the runner at its intended time (or as soon after as
// it can) and never waits for a delivery. Latency is measured from the
// intended time, which corrects coordinated omission (wrk2's rule). When the
// generator itself falls behind, the lag is recorded, not hidden.
package load

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/scenarios"
)

// Event is one generated event. It is passed by value; Payload is shared
// and must be treated as read-only.
type Event struct {
	// ID is unique across runs with different seeds and within a run:
	// IDBase + Seq.
	ID uint64
	// Seq is the dense index of the event in this point, from 0.
	Seq uint64
	// Key is the key index in [0, keys); KeyString renders it.
	Key int
	// Intended is the intended send time (Now() timeline, Unix ns).
	Intended int64
	// Warmup is true for events scheduled before the measured period.
	Warmup bool
	// Payload is the JSON body.
	Payload []byte
}

// KeyString renders a key index the way it is sent on the wire.
func KeyString(k int) string { return "key-" + itoa(k) }

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// Generator paces events for one point.
type Generator struct {
	sched    *Schedule
	keys     int
	payloads [][]byte
	keyRng   *rand.Rand
	idBase   uint64

	start     int64 // Now() at the start of the warm-up
	scheduled atomic.Int64
	sent      atomic.Int64
	measured  atomic.Int64 // measured (non-warm-up) events handed out
	lagMax    atomic.Int64
	ended     atomic.Int64   // Now() when Run returned cut short by cancellation
	returned  atomic.Int64   // Now() when Run returned, however it ended
	wakes     atomic.Int64   // times Run waited for the clock (one timer wake-up each)
	wakeLate  atomic.Int64   // the latest a measured-period wait returned past its target, µs
	lateWakes atomic.Int64   // measured-period waits that returned more than LateWake past their target
	lag       *hdr.Histogram // only touched by the Run goroutine until it returns
	sharding                 // shard.go
}

// New returns a generator for the scenario's load and event blocks.
func New(s *scenarios.Scenario) (*Generator, error) {
	seed := s.Event.Seed
	sched, err := NewSchedule(s.Load, seed)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	keys := s.Event.Keys
	if keys <= 0 {
		keys = 1
	}
	// The id base mixes the seed with the wall clock so ids from separate
	// runs against the same topic or endpoint never collide; the low 40 bits
	// are left for the sequence number.
	idBase := (rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano()))).Uint64() | 1<<63) &^ (1<<40 - 1)
	g := &Generator{
		sched:    sched,
		keys:     keys,
		payloads: makePayloads(s.Event, rng),
		keyRng:   rand.New(rand.NewPCG(seed, 2)),
		idBase:   idBase,
		lag:      hdr.New(1, int64(time.Hour/time.Microsecond), 3),
	}
	g.applyPlan(seed) // shard.go
	return g, nil
}

// IDBase is the id of the event with Seq 0.
func (g *Generator) IDBase() uint64 { return g.idBase }

// Schedule exposes the schedule (for expected counts and rates).
func (g *Generator) Schedule() *Schedule { return g.sched }

// Start is the Now() timestamp of the start of the warm-up (0 before Run).
func (g *Generator) Start() int64 { return atomic.LoadInt64(&g.start) }

// MeasuredStart is the Now() timestamp where the measured period begins.
func (g *Generator) MeasuredStart() int64 { return g.Start() + int64(g.sched.Warmup()) }

// Run paces events until the schedule ends or ctx is cancelled, calling
// emit for each event from a single goroutine. emit must not block for
// long: hand the event to a queue. start is the Now() timestamp of the
// first intended time (use Now() or a moment shortly after it, so the
// runner can finish set-up first).
//
// Every event that is due when Run looks at the clock is handed out in the
// same pass, back to back, with no timer in between; Run waits only when
// the next event is in the future. An event at least spinGap away is
// awaited with a coarse wake-up followed by a short spin (waitUntil), so it
// is never handed out early and rarely more than a few microseconds late;
// closer events are slept for, at least minSleep at a time, so at high
// rates one wake-up hands out a batch (a wake-up costs far more CPU than
// an event). Intended times never move: they come
// from the schedule, not from when Run got round to an event, and latency
// is measured from them. Run's own bookkeeping per event is a clock read,
// a histogram record and three uncontended atomic adds; progress and
// metrics readers only load those atomics from their own goroutines.
func (g *Generator) Run(ctx context.Context, start int64, emit func(Event)) {
	atomic.StoreInt64(&g.start, start)
	// Run returning before the schedule is exhausted means cancellation:
	// remember when, so rates are computed over the time actually run.
	exhausted := false
	defer func() {
		now := Now()
		g.returned.Store(now)
		if !exhausted {
			g.ended.Store(now)
		}
	}()
	measuredFrom := start + int64(g.sched.Warmup())
	done := ctx.Done()
	if isDone(done) {
		return
	}
	var seq uint64
	lagMax := g.lagMax.Load()
	for {
		off, ok := g.sched.Next()
		if !ok {
			exhausted = true
			return
		}
		intended := start + int64(off)
		if g.skip(&seq) { // another shard's event (shard.go)
			continue
		}
		now := Now()
		if now < intended {
			// A distant event (low rates) is awaited precisely: a sleep and
			// a spin for the last microseconds. Closer events are only slept
			// for, at least minSleep, and what fell due meanwhile is handed
			// out in the next pass (clock.go says why). The intended time
			// stays the schedule's whatever the wake-up.
			gap := intended - now
			spin := gap > int64(spinGap)
			wake := intended
			if !spin && gap < int64(minSleep) {
				wake = now + int64(minSleep)
			}
			g.wakes.Add(1)
			if !waitUntil(wake, done, spin) {
				return
			}
			now = Now()
			if wake >= measuredFrom {
				g.noteWake(now - wake)
			}
		} else if isDone(done) {
			// Due events are handed out back to back; a generator running
			// behind schedule never waits, so it must look at ctx here or
			// it would ignore cancellation until it caught up (a closed
			// channel's non-blocking receive costs a few ns; the emit of a
			// slow runner can take milliseconds, so no batching of this).
			return
		}
		g.scheduled.Add(1)
		ev := Event{
			ID:       g.idBase + seq,
			Seq:      seq,
			Key:      g.keyRng.IntN(g.keys),
			Intended: intended,
			Warmup:   intended < measuredFrom,
			Payload:  g.payloads[seq%payloadVariants],
		}
		seq++
		if !ev.Warmup {
			g.measured.Add(1)
			lagUS := (now - intended) / 1000
			if lagUS < 1 {
				lagUS = 1
			}
			_ = g.lag.RecordValue(lagUS)
			if lagUS > lagMax {
				lagMax = lagUS
				g.lagMax.Store(lagUS)
			}
		}
		emit(ev)
		g.sent.Add(1)
	}
}

// Ran returns how long the schedule ran when Run was cut short by
// cancellation (from its start to the moment Run returned, capped at the
// schedule's length), and 0 when the schedule ran to its end or Run has
// not returned.
func (g *Generator) Ran() time.Duration {
	end := g.ended.Load()
	if end == 0 {
		return 0
	}
	return min(time.Duration(end-g.Start()), g.sched.Total())
}

// Returned is the Now() timestamp at which Run returned (0 before): when a
// generator that fell behind finished emitting its schedule.
func (g *Generator) Returned() int64 { return g.returned.Load() }

// LateWake is how late past its target a wait of the pacer must return to
// count in LateWakes: a wake-up that late makes its events miss the
// generator-lag SLO (p99 < 1 ms) on its own.
const LateWake = time.Millisecond

// noteWake records how late (ns) a wait of the measured period returned.
func (g *Generator) noteWake(late int64) {
	us := late / 1000
	if us > g.wakeLate.Load() {
		g.wakeLate.Store(us)
	}
	if late > int64(LateWake) {
		g.lateWakes.Add(1)
	}
}

// WakeLateMaxUS is the latest any wait of the pacer in the measured period
// returned past its target (microseconds): how late the timer, or the
// operating system running the pacer's thread, was. Generator lag beyond it
// came from the pacer's own work or from emit.
func (g *Generator) WakeLateMaxUS() int64 { return g.wakeLate.Load() }

// LateWakes is the number of waits of the measured period that returned
// more than LateWake past their target.
func (g *Generator) LateWakes() int64 { return g.lateWakes.Load() }

// Wakes is the number of times Run has waited for the clock so far: one
// timer wake-up each, the pacer's main cost per event at high rates.
func (g *Generator) Wakes() int64 { return g.wakes.Load() }

// Sent is the number of events handed to emit so far (warm-up included).
func (g *Generator) Sent() int64 { return g.sent.Load() }

// Measured is the number of measured (non-warm-up) events handed out so
// far: every subscriber's "sent" count.
func (g *Generator) Measured() int64 { return g.measured.Load() }

// LagMaxUS is the largest generator lag seen so far, safe to call during Run.
func (g *Generator) LagMaxUS() int64 { return g.lagMax.Load() }

// Lag returns the generator-lag histogram (microseconds, measured events
// only). Call it only after Run has returned.
func (g *Generator) Lag() *hdr.Histogram { return g.lag }
