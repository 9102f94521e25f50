// Package noise measures how noisy the machine is, briefly, at the start of
// a run: the spread of a fixed CPU loop and the lateness of short timer
// sleeps. On a shared CI runner both vary far more than on a quiet
// workstation; results record the figures so that `evbench compare` can
// say when a tolerance is finer than the machine can resolve.
package noise

import (
	"math"
	"slices"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// Default calibration sizes: 40 CPU loops of about 2ms and 40 sleeps of
// 1ms keep the calibration near 0.2 s on a quiet machine and well under
// 0.5 s on a loaded one (Budget stops it early).
const (
	DefaultLoops  = 40
	DefaultSleeps = 40
	// Budget bounds the calibration's wall time whatever the machine does.
	Budget = 400 * time.Millisecond
	// loopIters is sized so one loop takes about 2ms on a 2020s x86 core.
	loopIters = 1_000_000
	sleepFor  = time.Millisecond
)

// Measure runs the default calibration.
func Measure() *results.Noise { return MeasureN(DefaultLoops, DefaultSleeps) }

// sink keeps the compiler from removing the loop.
var sink uint64

// MeasureN runs loops CPU loops and sleeps timer sleeps, interleaved so a
// burst of interference touches both, and stops early at Budget.
func MeasureN(loops, sleeps int) *results.Noise {
	start := time.Now()
	cpu := make([]float64, 0, loops)
	late := make([]float64, 0, sleeps)
	for i := 0; i < max(loops, sleeps) && time.Since(start) < Budget; i++ {
		if i < loops {
			t := time.Now()
			x := uint64(i) | 1
			for j := 0; j < loopIters; j++ {
				// xorshift: cheap, data-dependent, not vectorisable.
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink += x
			cpu = append(cpu, float64(time.Since(t).Nanoseconds())/1e3)
		}
		if i < sleeps {
			t := time.Now()
			time.Sleep(sleepFor)
			late = append(late, math.Max(0, float64((time.Since(t)-sleepFor).Nanoseconds())/1e3))
		}
	}
	n := &results.Noise{Samples: min(len(cpu), len(late))}
	slices.Sort(cpu)
	slices.Sort(late)
	if med := quantile(cpu, 0.5); med > 0 {
		n.CPULoopMedianUS = round(med)
		n.CPUSpreadPct = round(100 * math.Max(quantile(cpu, 0.9)/med-1, 1-quantile(cpu, 0.1)/med))
	}
	n.TimerLateP50US = round(quantile(late, 0.5))
	n.TimerLateP99US = round(quantile(late, 0.99))
	n.DurationMS = round(float64(time.Since(start).Microseconds()) / 1e3)
	return n
}

// quantile of sorted values by linear interpolation; 0 when empty.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

func round(v float64) float64 { return math.Round(v*10) / 10 }
