// Package behave simulates a subscriber's behaviour: its processing time
// and its fault timeline. The webhook sinks and the Kafka consumer groups
// both use it, so a subscriber behaves the same whatever delivers to it.
package behave

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/evbench/evbench/runners/timer"
	"github.com/evbench/evbench/scenarios"
)

// Sleep simulates d of processing and reports whether it ran to the end
// (false when quit closed first; quit may be nil). Every system's
// subscribers use it, so they take the same time; see timer.Sleep for why
// it is not time.Sleep.
func Sleep(d time.Duration, quit <-chan struct{}) bool { return timer.Sleep(d, quit) }

// Subscriber is one subscriber's simulated behaviour. Safe for concurrent use.
type Subscriber struct {
	Spec scenarios.Subscriber

	mu    sync.Mutex
	rng   *rand.Rand
	start int64 // measured start, load.Now() timeline
}

// New returns the behaviour of spec; seed makes sampled processing times and
// fault coin flips reproducible.
func New(spec scenarios.Subscriber, seed uint64) *Subscriber {
	return &Subscriber{Spec: spec, rng: rand.New(rand.NewPCG(seed, hash(spec.Name)))}
}

func hash(s string) uint64 {
	h := uint64(1469598103934665603)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// SetStart sets the measured start (load.Now() timeline): fault times are
// offsets from it. Before SetStart no fault is active.
func (s *Subscriber) SetStart(measuredStart int64) {
	s.mu.Lock()
	s.start = measuredStart
	s.mu.Unlock()
}

// Processing samples one processing time.
func (s *Subscriber) Processing() time.Duration {
	s.mu.Lock()
	v := s.Spec.Processing.Sample(s.rng)
	s.mu.Unlock()
	if v < 0 {
		v = 0
	}
	return time.Duration(v)
}

// Chance returns true with probability p (for errors faults).
func (s *Subscriber) Chance(p float64) bool {
	if p >= 1 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

// Active returns the faults active at now (load.Now() timeline), in the
// order the scenario lists them. It allocates only when a fault is active.
func (s *Subscriber) Active(now int64) []scenarios.Fault {
	if len(s.Spec.Faults) == 0 {
		return nil
	}
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	if start == 0 {
		return nil
	}
	t := time.Duration(now - start)
	var out []scenarios.Fault
	for _, f := range s.Spec.Faults {
		if f.Active(t) {
			out = append(out, f)
		}
	}
	return out
}

// Find returns the first active fault of kind at now.
func (s *Subscriber) Find(now int64, kind string) (scenarios.Fault, bool) {
	for _, f := range s.Active(now) {
		if f.Kind == kind {
			return f, true
		}
	}
	return scenarios.Fault{}, false
}

// End returns the end of fault f on the load.Now() timeline (0 for a fault
// that lasts until the end of the run).
func (s *Subscriber) End(f scenarios.Fault) int64 {
	if f.For == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start + int64(f.At.D()+f.For.D())
}

// CeilingNote says what the subscribers' simulated processing time allows
// at a given concurrency: a subscriber that processes `concurrency` events
// at once with mean processing time m cannot sustain more than
// concurrency/m events per second, whatever the delivery system. Runners
// attach it to their results so a saturation curve is read as what it is
// (webhook: max_in_flight per endpoint; Kafka: one record per partition per
// group). It returns "" when no subscriber has a processing time.
func CeilingNote(system string, concurrency int, unit string, subs []scenarios.Subscriber) string {
	worst, name := 0.0, ""
	for _, s := range subs {
		if m := s.Processing.MeanValue(); m > worst {
			worst, name = m, s.Name
		}
	}
	if worst <= 0 || concurrency <= 0 {
		return ""
	}
	meanMs := worst / float64(time.Millisecond)
	return fmt.Sprintf("%s: each subscriber processes at most %d events at once (%s); the slowest (%s, mean processing %.3g ms) cannot sustain more than about %.0f events/s",
		system, concurrency, unit, name, meanMs, float64(concurrency)/(worst/float64(time.Second)))
}
