package load

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

const (
	ms = time.Millisecond
	s1 = time.Second
)

func dur(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }

// offsets drains a schedule built from l. It fails the test when the
// schedule does not end within maxEvents events or 5 s of wall time, so a
// schedule that never ends (or a Next that spins) cannot hang the suite.
func offsets(t *testing.T, l scenarios.Load, seed uint64) (*Schedule, []time.Duration) {
	t.Helper()
	s, err := NewSchedule(l, seed)
	if err != nil {
		t.Fatalf("NewSchedule(%+v): %v", l, err)
	}
	const maxEvents = 2_000_000
	type result struct {
		offs []time.Duration
		ok   bool
	}
	ch := make(chan result, 1)
	go func() {
		var offs []time.Duration
		for len(offs) < maxEvents {
			off, ok := s.Next()
			if !ok {
				ch <- result{offs, true}
				return
			}
			offs = append(offs, off)
		}
		ch <- result{offs, false}
	}()
	select {
	case r := <-ch:
		if !r.ok {
			t.Fatalf("schedule did not end after %d events", maxEvents)
		}
		return s, r.offs
	case <-time.After(5 * time.Second):
		t.Fatalf("schedule's Next did not return within 5s (hang)")
		return nil, nil
	}
}

// countIn counts offsets in [from, to).
func countIn(offs []time.Duration, from, to time.Duration) int {
	n := 0
	for _, o := range offs {
		if o >= from && o < to {
			n++
		}
	}
	return n
}

var (
	constant100 = scenarios.Load{Arrival: scenarios.ArrivalConstant, Rate: 100, Duration: dur(s1)}
	ramp        = scenarios.Load{Arrival: scenarios.ArrivalRamp, From: 100, To: 300, Duration: dur(2 * s1)}
	steps       = scenarios.Load{Arrival: scenarios.ArrivalSteps, Duration: dur(2 * s1),
		Steps: []scenarios.Step{{Rate: 100, For: dur(s1)}, {Rate: 500, For: dur(s1)}}}
	spike = scenarios.Load{Arrival: scenarios.ArrivalSpike, Base: 100, Peak: 1000,
		At: dur(s1), For: dur(500 * ms), Duration: dur(2 * s1)}
	zeroStep = scenarios.Load{Arrival: scenarios.ArrivalSteps, Duration: dur(1500 * ms),
		Steps: []scenarios.Step{{Rate: 100, For: dur(500 * ms)}, {Rate: 0, For: dur(500 * ms)}, {Rate: 100, For: dur(500 * ms)}}}
	poisson = scenarios.Load{Arrival: scenarios.ArrivalPoisson, Rate: 1000, Duration: dur(5 * s1)}
)

func withWarmup(l scenarios.Load, w time.Duration) scenarios.Load {
	l.Warmup = dur(w)
	return l
}

// TestScheduleCounts checks the number of events each shape offers: the
// integral of its rate over the warm-up and the measured period.
func TestScheduleCounts(t *testing.T) {
	cases := []struct {
		name string
		load scenarios.Load
		want int
		tol  int
	}{
		{"constant 100/s for 1s", constant100, 100, 0},
		{"constant 100/s for 1s with 0.5s warm-up", withWarmup(constant100, 500*ms), 150, 0},
		{"constant 7/s for 1s (non-integer interval)", scenarios.Load{Rate: 7, Duration: dur(s1)}, 7, 0},
		{"ramp 100->300/s over 2s", ramp, 400, 1},
		{"ramp 0->200/s over 1s (starts at zero rate)", scenarios.Load{Arrival: scenarios.ArrivalRamp, From: 0, To: 200, Duration: dur(s1)}, 100, 1},
		{"ramp 300->100/s over 2s (down)", scenarios.Load{Arrival: scenarios.ArrivalRamp, From: 300, To: 100, Duration: dur(2 * s1)}, 400, 1},
		{"steps 100/s 1s, 500/s 1s", steps, 600, 1},
		// 100/s for 1s + 1000/s for 0.5s + 100/s for 0.5s = 100 + 500 + 50.
		{"spike base 100 peak 1000 at 1s for 0.5s in 2s", spike, 650, 2},
		{"spike clamped to the duration", scenarios.Load{Arrival: scenarios.ArrivalSpike, Base: 100, Peak: 1000, At: dur(3 * s1), For: dur(s1), Duration: dur(2 * s1)}, 200, 1},
		{"zero-rate step is skipped", zeroStep, 100, 1},
		{"all steps zero", scenarios.Load{Arrival: scenarios.ArrivalSteps, Steps: []scenarios.Step{{Rate: 0, For: dur(s1)}}}, 0, 0},
		{"constant zero rate", scenarios.Load{Rate: 0, Duration: dur(s1)}, 0, 0},
		{"poisson zero rate", scenarios.Load{Arrival: scenarios.ArrivalPoisson, Rate: 0, Duration: dur(s1)}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, offs := offsets(t, c.load, 1)
			if d := len(offs) - c.want; d < -c.tol || d > c.tol {
				t.Errorf("events = %d, want %d +-%d", len(offs), c.want, c.tol)
			}
			for i, o := range offs {
				if o < 0 || o >= s.Total() {
					t.Fatalf("event %d at %v is outside [0, %v)", i, o, s.Total())
				}
				if i > 0 && o < offs[i-1] {
					t.Fatalf("event %d at %v precedes event %d at %v", i, o, i-1, offs[i-1])
				}
			}
			if got := s.Expected(s.Total()); math.Abs(got-float64(len(offs))) > 1 {
				t.Errorf("Expected(Total) = %.2f, but Next produced %d events", got, len(offs))
			}
		})
	}
}

// TestScheduleConstantExact checks that a constant rate whose interval is a
// whole number of nanoseconds puts event i at exactly i*interval, however
// long the run (no floating-point drift or truncation).
func TestScheduleConstantExact(t *testing.T) {
	cases := []struct {
		rate     scenarios.Rate
		d        time.Duration
		interval time.Duration
	}{
		{100, s1, 10 * ms},
		{100, 60 * s1, 10 * ms},
		{250, 20 * s1, 4 * ms},
		{1000, 30 * s1, ms},
		{8000, 5 * s1, 125 * time.Microsecond},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/s for %v", float64(c.rate), c.d), func(t *testing.T) {
			_, offs := offsets(t, scenarios.Load{Rate: c.rate, Duration: dur(c.d)}, 1)
			want := int(c.d / c.interval)
			if len(offs) != want {
				t.Fatalf("events = %d, want %d", len(offs), want)
			}
			bad := 0
			for i, o := range offs {
				if w := time.Duration(i) * c.interval; o != w {
					if bad < 3 {
						t.Errorf("event %d at %v, want exactly %v", i, o, w)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d events off their exact time", bad, len(offs))
			}
		})
	}
}

// TestScheduleWarmup checks that warm-up events come first, at the shape's
// initial rate, and the measured period starts right after.
func TestScheduleWarmup(t *testing.T) {
	const w = 500 * ms
	cases := []struct {
		name     string
		load     scenarios.Load
		interval time.Duration // at the initial rate
		measured int
		tol      int
	}{
		{"constant", constant100, 10 * ms, 100, 0},
		{"ramp starts at from", ramp, 10 * ms, 400, 1},
		{"steps start at the first step", steps, 10 * ms, 600, 1},
		{"spike starts at base", spike, 10 * ms, 650, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, offs := offsets(t, withWarmup(c.load, w), 1)
			if s.Warmup() != w {
				t.Fatalf("Warmup() = %v, want %v", s.Warmup(), w)
			}
			if want := c.load.Duration.D() + w; s.Total() != want {
				t.Errorf("Total() = %v, want %v", s.Total(), want)
			}
			nw := int(w / c.interval)
			if got := countIn(offs, 0, w); got != nw {
				t.Fatalf("warm-up events = %d, want %d", got, nw)
			}
			for i := 0; i < nw; i++ {
				if want := time.Duration(i) * c.interval; offs[i] != want {
					t.Errorf("warm-up event %d at %v, want %v", i, offs[i], want)
				}
			}
			if offs[nw] != w {
				t.Errorf("first measured event at %v, want exactly the end of the warm-up %v", offs[nw], w)
			}
			if d := len(offs) - nw - c.measured; d < -c.tol || d > c.tol {
				t.Errorf("measured events = %d, want %d +-%d", len(offs)-nw, c.measured, c.tol)
			}
		})
	}
}

// TestScheduleRampDensity: a linear ramp 100->300/s over 2s offers
// 100*0.5 + 200*0.25^2/... = 62.5 events in its first quarter (rate 100..150)
// and 137.5 in its last (rate 250..300): a ratio of 2.2.
func TestScheduleRampDensity(t *testing.T) {
	_, offs := offsets(t, ramp, 1)
	first := countIn(offs, 0, 500*ms)
	last := countIn(offs, 1500*ms, 2*s1)
	if first < 62 || first > 63 {
		t.Errorf("first quarter events = %d, want 62.5 +-1", first)
	}
	if last < 137 || last > 138 {
		t.Errorf("last quarter events = %d, want 137.5 +-1", last)
	}
	if r := float64(last) / float64(first); r < 2.1 || r > 2.3 {
		t.Errorf("last/first quarter density = %.3f, want 2.2 +-0.1", r)
	}
	// Gaps shrink monotonically as the rate rises: 1/100 s at the start,
	// 1/300 s at the end (within the rate change over one gap).
	if g := offs[1] - offs[0]; g < 9900*time.Microsecond || g > 10*ms {
		t.Errorf("first gap %v, want ~10ms", g)
	}
	n := len(offs)
	if g := offs[n-1] - offs[n-2]; g < 3333*time.Microsecond || g > 3360*time.Microsecond {
		t.Errorf("last gap %v, want ~3.33ms", g)
	}
	for i := 2; i < n; i++ {
		if offs[i]-offs[i-1] > offs[i-1]-offs[i-2]+time.Microsecond {
			t.Fatalf("gap %d (%v) larger than gap %d (%v) on a rising ramp", i, offs[i]-offs[i-1], i-1, offs[i-1]-offs[i-2])
		}
	}
}

// TestScheduleStepsBoundary: the 100/s step owns [0,1s), the 500/s step
// [1s,2s); the second step starts exactly at its boundary and is paced at 2ms.
func TestScheduleStepsBoundary(t *testing.T) {
	_, offs := offsets(t, steps, 1)
	if got := countIn(offs, 0, s1); got != 100 {
		t.Errorf("events in step 1 = %d, want 100", got)
	}
	if got := countIn(offs, s1, 2*s1); got < 499 || got > 501 {
		t.Errorf("events in step 2 = %d, want 500 +-1", got)
	}
	if offs[99] != 990*ms || offs[100] != s1 {
		t.Errorf("events around the boundary at %v, %v; want 990ms, 1s", offs[99], offs[100])
	}
	for i := 101; i < len(offs); i++ {
		if g := offs[i] - offs[i-1]; g != 2*ms {
			t.Fatalf("gap before event %d = %v, want 2ms in the 500/s step", i, g)
		}
	}
}

// TestScheduleSpikeRegions: base before the spike, peak during it, base after.
func TestScheduleSpikeRegions(t *testing.T) {
	_, offs := offsets(t, spike, 1)
	for _, r := range []struct {
		from, to time.Duration
		want     int
	}{{0, s1, 100}, {s1, 1500 * ms, 500}, {1500 * ms, 2 * s1, 50}} {
		if got := countIn(offs, r.from, r.to); got < r.want-1 || got > r.want+1 {
			t.Errorf("events in [%v,%v) = %d, want %d +-1", r.from, r.to, got, r.want)
		}
	}
}

// TestScheduleZeroStep: nothing is scheduled while a step's rate is zero,
// and the schedule resumes at the next step's start.
func TestScheduleZeroStep(t *testing.T) {
	_, offs := offsets(t, zeroStep, 1)
	if got := countIn(offs, 500*ms, s1); got != 0 {
		t.Errorf("events during the zero-rate step = %d, want 0", got)
	}
	if got := countIn(offs, 0, 500*ms); got != 50 {
		t.Errorf("events in the first step = %d, want 50", got)
	}
	if got := countIn(offs, s1, 1500*ms); got != 50 {
		t.Errorf("events in the last step = %d, want 50", got)
	}
	if offs[50] != s1 {
		t.Errorf("first event after the zero step at %v, want 1s", offs[50])
	}
}

// TestSchedulePoisson: 1000/s for 5s gives N ~ Poisson(5000) events (sigma
// ~70.7) with exponential gaps, whose coefficient of variation is 1.
func TestSchedulePoisson(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		t.Run("seed "+itoa(int(seed)), func(t *testing.T) {
			s, offs := offsets(t, poisson, seed)
			mean := s.Expected(s.Total())
			if mean != 5000 {
				t.Fatalf("Expected(Total) = %v, want 5000", mean)
			}
			sigma := math.Sqrt(mean)
			if d := math.Abs(float64(len(offs)) - mean); d > 4*sigma {
				t.Errorf("events = %d, want within 4 sigma (%.0f) of %.0f", len(offs), 4*sigma, mean)
			}
			var sum, sum2 float64
			n := float64(len(offs) - 1)
			for i := 1; i < len(offs); i++ {
				g := (offs[i] - offs[i-1]).Seconds()
				sum += g
				sum2 += g * g
			}
			m := sum / n
			sd := math.Sqrt(sum2/n - m*m)
			if cv := sd / m; cv < 0.9 || cv > 1.1 {
				t.Errorf("gap coefficient of variation = %.3f, want 0.9..1.1", cv)
			}
			if m < 0.9e-3 || m > 1.1e-3 {
				t.Errorf("mean gap = %.3gs, want ~1ms", m)
			}
			// Same seed, same schedule: runs are reproducible.
			_, again := offsets(t, poisson, seed)
			if len(again) != len(offs) || again[len(again)/2] != offs[len(offs)/2] {
				t.Errorf("same seed gave a different schedule")
			}
		})
	}
	_, a := offsets(t, poisson, 1)
	_, b := offsets(t, poisson, 2)
	if len(a) == len(b) && a[100] == b[100] {
		t.Errorf("seeds 1 and 2 gave the same schedule")
	}
}

// TestScheduleExpectedRateConsistent checks the three views of a schedule
// agree: Next's events up to t match Expected(t) within one event, and
// RateAt at the middle of a window times its width is the Expected count
// in that window (exact for linear rate segments).
func TestScheduleExpectedRateConsistent(t *testing.T) {
	cases := []struct {
		name string
		load scenarios.Load
	}{
		{"constant", withWarmup(constant100, 300*ms)},
		{"ramp", withWarmup(ramp, 300*ms)},
		{"steps", withWarmup(steps, 300*ms)},
		{"spike", withWarmup(spike, 300*ms)},
		{"zero step", zeroStep},
	}
	const w = 50 * ms
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, offs := offsets(t, c.load, 1)
			for at := time.Duration(0); at <= s.Total(); at += w {
				got := float64(countIn(offs, 0, at))
				if e := s.Expected(at); math.Abs(got-e) > 1 {
					t.Errorf("events before %v = %v, Expected = %.2f", at, got, e)
				}
				if at+w > s.Total() {
					continue
				}
				// Windows are aligned to 50ms, as are all segment boundaries
				// here, so a window never straddles a rate change.
				inWin := s.Expected(at+w) - s.Expected(at)
				if r := s.RateAt(at + w/2); math.Abs(r*w.Seconds()-inWin) > 1e-6 {
					t.Errorf("RateAt(%v)*%v = %.4f, Expected in window = %.4f", at+w/2, w, r*w.Seconds(), inWin)
				}
			}
			if r := s.RateAt(s.Total()); r != 0 {
				t.Errorf("RateAt(Total) = %v, want 0 after the schedule", r)
			}
			if e := s.Expected(s.Total() + s1); e != s.Expected(s.Total()) {
				t.Errorf("Expected grows past the end: %v vs %v", e, s.Expected(s.Total()))
			}
		})
	}
	s, _ := NewSchedule(ramp, 1)
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{0, 100}, {500 * ms, 150}, {s1, 200}, {1500 * ms, 250}} {
		if r := s.RateAt(c.at); math.Abs(r-c.want) > 1e-9 {
			t.Errorf("ramp RateAt(%v) = %v, want %v", c.at, r, c.want)
		}
	}
}

// TestScheduleErrors: shapes that cannot be paced are rejected.
func TestScheduleErrors(t *testing.T) {
	for _, l := range []scenarios.Load{
		{Arrival: scenarios.ArrivalSteps, Duration: dur(s1)},
		{Arrival: "sawtooth", Rate: 10, Duration: dur(s1)},
	} {
		if _, err := NewSchedule(l, 1); err == nil {
			t.Errorf("NewSchedule(%+v) = nil error, want one", l)
		}
	}
}
