package webhook

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// TestFitMemory checks the fit on synthetic samples with known slopes:
// exact recovery when in flight and connections move independently, one
// slope when they move together, and no figure (with the reason) when the
// data cannot support one.
func TestFitMemory(t *testing.T) {
	gen := func(n int, f func(i int) memSample) []memSample {
		s := make([]memSample, n)
		for i := range s {
			s[i] = f(i)
		}
		return s
	}
	tests := []struct {
		name             string
		s                []memSample
		wantIF, wantConn float64 // 0: absent
		unmeasured       string  // substring of the reason; "" when measured
	}{
		{"separable", gen(40, func(i int) memSample {
			in, c := float64((i*37)%200), float64(50+(i*13)%60)
			return memSample{mem: 1e7 + 20000*in + 8000*c, inflight: in, conns: c}
		}), 20000, 8000, ""},
		{"collinear", gen(40, func(i int) memSample {
			in := float64(i * 10)
			return memSample{mem: 1e7 + 30000*in, inflight: in, conns: in}
		}), 30000, 0, ""},
		{"few samples", gen(3, func(i int) memSample {
			return memSample{mem: float64(i), inflight: float64(i * 100), conns: 1}
		}), 0, 0, "fewer than"},
		{"no spread", gen(40, func(i int) memSample {
			return memSample{mem: 1e7 + float64(i%3)*1e5, inflight: float64(i % 10), conns: 4}
		}), 0, 0, "ranged only"},
		{"shrinks", gen(40, func(i int) memSample {
			return memSample{mem: 1e8 - float64(i)*1e5, inflight: float64(i * 10), conns: 4}
		}), 0, 0, "did not grow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fitMemory(tc.s, results.MemorySenderOnly)
			if tc.unmeasured != "" {
				if !strings.Contains(got.Unmeasured, tc.unmeasured) || got.PerInFlightBytes != 0 || got.PerConnectionBytes != 0 {
					t.Fatalf("got %+v, want unmeasured %q and no figures", got, tc.unmeasured)
				}
				return
			}
			if got.Unmeasured != "" || math.Abs(got.PerInFlightBytes-tc.wantIF) > 1 || math.Abs(got.PerConnectionBytes-tc.wantConn) > 1 {
				t.Fatalf("got %+v, want %g per in flight, %g per connection", got, tc.wantIF, tc.wantConn)
			}
			if got.R2 < 0.999 {
				t.Errorf("R² %g on exact data", got.R2)
			}
		})
	}
}

// TestSlowReceiverMemory runs a slow-receiver point (1.5 s processing at
// 50 to 500 events/s: up to about 750 deliveries in flight, Little's law)
// and checks
// the runner records a positive memory per delivery in flight within a
// plausible range, labelled an upper bound because the in-process sink's
// share (its handler goroutine and buffers per request) is included.
//
// The range: each in-flight delivery holds at least a sender worker and a
// sink handler goroutine (at least 2 KiB of stack each)
// and two connections' 4 KiB read/write buffers, so well above 4 KB; 1 MB
// per delivery would mean something retained far more than a request.
func TestSlowReceiverMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12 s point")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory per goroutine")
	}
	// Samples are taken at GCs, which the runtime paces by the live heap:
	// this test binary holds other tests' heap (a 22 MB baseline seen in a
	// full package run, against about 3 MB in a fresh evbench run, where a
	// point like this one gets 4 to 14 GCs), so GC here as often as a fresh
	// process would. The measurement itself is unchanged.
	defer debug.SetGCPercent(debug.SetGCPercent(15))
	sc := testScenario(0, 10*time.Second, 500*time.Millisecond, 6*time.Second, subscriber("slow", 1500*time.Millisecond))
	// A ramp, so deliveries in flight move (about 75 to 750) across the
	// GCs the samples are taken at.
	sc.Load.Arrival, sc.Load.From, sc.Load.To = scenarios.ArrivalRamp, 50, 500
	ConfigOf(sc).MaxInFlight = 2000
	ConfigOf(sc).Timeout = dur(10 * time.Second)
	out := run(t, t.Context(), sc)
	m := out.pt.SenderMemory
	if m == nil {
		t.Fatal("no sender_memory on the point")
	}
	t.Logf("sender_memory: %+v", *m)
	if m.Scope != results.MemoryUpperBound {
		t.Errorf("scope %q, want %q (the sink runs in-process)", m.Scope, results.MemoryUpperBound)
	}
	if m.PeakInFlight < 300 {
		t.Fatalf("peak in flight %d: the slow receiver did not pile deliveries up (want >= 300 of ~750)", m.PeakInFlight)
	}
	if m.Unmeasured != "" {
		t.Fatalf("not measured: %s", m.Unmeasured)
	}
	const lo, hi = 4e3, 1e6
	if m.PerInFlightBytes < lo || m.PerInFlightBytes > hi {
		t.Errorf("per in-flight %.0f bytes, want within [%g, %g]", m.PerInFlightBytes, lo, hi)
	}
	if m.PerConnectionBytes != 0 && (m.PerConnectionBytes < 0 || m.PerConnectionBytes > hi) {
		t.Errorf("per connection %.0f bytes, want within (0, %g]", m.PerConnectionBytes, hi)
	}
}
