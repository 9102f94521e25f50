package load

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// segment is a stretch of the schedule whose rate changes linearly from r0
// to r1 events/s over len.
type segment struct {
	start  time.Duration
	length time.Duration
	r0, r1 float64
}

// count returns the expected number of events in the first tau of the segment.
func (s segment) count(tau float64) float64 {
	L := s.length.Seconds()
	return s.r0*tau + (s.r1-s.r0)*tau*tau/(2*L)
}

// invert returns tau such that count(tau) == k (k within the segment's total).
func (s segment) invert(k float64) float64 {
	L := s.length.Seconds()
	a := (s.r1 - s.r0) / (2 * L)
	if math.Abs(a) < 1e-12 {
		return k / s.r0
	}
	disc := s.r0*s.r0 + 4*a*k
	if disc < 0 {
		disc = 0
	}
	return (-s.r0 + math.Sqrt(disc)) / (2 * a)
}

// Schedule maps event indexes to intended offsets from the start of the
// warm-up. It is deterministic: a constant 100/s schedule puts event i at
// exactly i*10ms, with no accumulated floating-point drift.
type Schedule struct {
	segs    []segment
	total   time.Duration
	warmup  time.Duration
	poisson bool
	rate    float64
	rng     *rand.Rand
	// cursor state
	seg    int
	before float64 // events in segments before seg
	next   float64 // index of the next event
	t      time.Duration
}

// NewSchedule builds the schedule for a load block: warm-up at the shape's
// initial rate, then the measured period.
func NewSchedule(l scenarios.Load, seed uint64) (*Schedule, error) {
	s := &Schedule{warmup: l.Warmup.D()}
	add := func(length time.Duration, r0, r1 float64) {
		if length <= 0 {
			return
		}
		s.segs = append(s.segs, segment{start: s.total, length: length, r0: r0, r1: r1})
		s.total += length
	}
	var initial float64
	var body []segment
	d := l.Duration.D()
	switch l.Arrival {
	case scenarios.ArrivalConstant, "":
		initial = l.Rate.PerSecond()
		body = append(body, segment{length: d, r0: initial, r1: initial})
	case scenarios.ArrivalPoisson:
		initial = l.Rate.PerSecond()
		s.poisson = true
		s.rate = initial
		s.rng = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		body = append(body, segment{length: d, r0: initial, r1: initial})
	case scenarios.ArrivalRamp:
		initial = l.From.PerSecond()
		body = append(body, segment{length: d, r0: initial, r1: l.To.PerSecond()})
	case scenarios.ArrivalSteps:
		if len(l.Steps) == 0 {
			return nil, fmt.Errorf("steps arrival needs at least one step")
		}
		initial = l.Steps[0].Rate.PerSecond()
		for _, st := range l.Steps {
			r := st.Rate.PerSecond()
			body = append(body, segment{length: st.For.D(), r0: r, r1: r})
		}
	case scenarios.ArrivalSpike:
		initial = l.Base.PerSecond()
		b, p := l.Base.PerSecond(), l.Peak.PerSecond()
		at, f := l.At.D(), l.For.D()
		if at > d {
			at = d
		}
		if at+f > d {
			f = d - at
		}
		body = append(body,
			segment{length: at, r0: b, r1: b},
			segment{length: f, r0: p, r1: p},
			segment{length: d - at - f, r0: b, r1: b})
	default:
		return nil, fmt.Errorf("unknown arrival %q", l.Arrival)
	}
	add(s.warmup, initial, initial)
	for _, b := range body {
		add(b.length, b.r0, b.r1)
	}
	return s, nil
}

// Total is warm-up plus measured duration.
func (s *Schedule) Total() time.Duration { return s.total }

// Warmup is the warm-up length; offsets below it are warm-up events.
func (s *Schedule) Warmup() time.Duration { return s.warmup }

// RateAt returns the offered rate at offset t (events/s).
func (s *Schedule) RateAt(t time.Duration) float64 {
	for _, g := range s.segs {
		if t >= g.start && t < g.start+g.length {
			return g.r0 + (g.r1-g.r0)*float64(t-g.start)/float64(g.length)
		}
	}
	return 0
}

// Expected returns the number of events the schedule offers in [0, t).
func (s *Schedule) Expected(t time.Duration) float64 {
	var n float64
	for _, g := range s.segs {
		if t <= g.start {
			break
		}
		tau := t - g.start
		if tau > g.length {
			tau = g.length
		}
		n += g.count(tau.Seconds())
	}
	return n
}

// Next returns the intended offset of the next event, or false when the
// schedule is exhausted.
func (s *Schedule) Next() (time.Duration, bool) {
	if s.poisson {
		if s.rate <= 0 {
			return 0, false
		}
		t := s.t
		s.t += time.Duration(s.rng.ExpFloat64() / s.rate * float64(time.Second))
		if t >= s.total {
			return 0, false
		}
		return t, true
	}
	for s.seg < len(s.segs) {
		g := s.segs[s.seg]
		in := g.count(g.length.Seconds())
		k := s.next - s.before
		if k < in-1e-9 && (g.r0 > 0 || g.r1 > 0) {
			tau := g.invert(k)
			s.next++
			// Round, do not truncate: k/r*1e9 is often a hair below the
			// whole nanosecond (0.01*201 s -> 2.009999999 s), which would put
			// a constant 100/s event 1 ns early and break "exactly i*10ms".
			off := g.start + time.Duration(math.Round(tau*float64(time.Second)))
			if off >= g.start+g.length {
				off = g.start + g.length - 1
			}
			return off, true
		}
		s.before += in
		s.seg++
	}
	return 0, false
}
