package measure

import (
	"fmt"
	"math"
	"runtime/metrics"
	"time"

	"github.com/evbench/evbench/runners/load"
)

// Where generator lag comes from (issue 15 item 1). A pacer event is late
// when (a) its timer wake-up returns late: the timer fired late, or the
// operating system ran the woken thread late (other processes, a kernel
// without preemption, the VM's host waking an idle virtual CPU), (b) the
// pacer's goroutine waits for one of the process's Ps behind evbench's own
// goroutines, or (c) the pacer's own work and emit take long. A runtime
// trace of a 250/s point on a loaded machine put 99.8 % of every late
// event's lag in (a), with the process idle meanwhile; the note below
// says which it was for every point whose lag misses the SLO, so a stall
// on an idle machine can be told from a harness bug without a trace.

// lagNoteThresholdUS is the generator-lag p99 above which the point gets
// the note: the SLO the benchmarks use (cmd/evbench's summary flags the
// same threshold).
const lagNoteThresholdUS = 1000

// schedLatencyMetric is the Go scheduler's latency: how long goroutines
// wait, runnable, for a P. The runtime samples it (not every transition).
const schedLatencyMetric = "/sched/latencies:seconds"

// schedSnapshot is the scheduler-latency histogram at one moment
// (cumulative since the process started).
type schedSnapshot struct {
	counts  []uint64
	buckets []float64
}

func readSchedLatency() schedSnapshot {
	s := []metrics.Sample{{Name: schedLatencyMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedSnapshot{}
	}
	h := s[0].Value.Float64Histogram()
	return schedSnapshot{counts: append([]uint64(nil), h.Counts...), buckets: h.Buckets}
}

// maxSince is the upper bound of the highest latency bucket that gained
// samples since prev (0 when none did or the metric is missing).
func (s schedSnapshot) maxSince(prev schedSnapshot) time.Duration {
	for i := len(s.counts) - 1; i >= 0; i-- {
		var before uint64
		if i < len(prev.counts) {
			before = prev.counts[i]
		}
		if s.counts[i] > before {
			hi := s.buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = s.buckets[i]
			}
			return time.Duration(hi * float64(time.Second))
		}
	}
	return 0
}

// lagCauseNote explains a generator-lag p99 over the SLO: whether the
// pacer's wake-ups came late, and then whether evbench's own goroutines
// were queueing for a P about as long (in-process contention) or far less
// (the process was not being run: an OS thread holding a P that is not run
// also delays the goroutines queued on it, so some scheduler latency
// always comes with an OS stall); or the wake-ups were on time and the lag
// came from handing events out. It returns "" when the p99 meets the SLO.
func lagCauseNote(lagP99US, wakeLateMaxUS, lateWakes int64, schedMax time.Duration) string {
	if lagP99US <= lagNoteThresholdUS {
		return ""
	}
	lag := time.Duration(lagP99US) * time.Microsecond
	late := time.Duration(wakeLateMaxUS) * time.Microsecond
	sched := schedMax.Round(time.Microsecond)
	switch {
	case lateWakes == 0:
		return fmt.Sprintf("generator lag p99 %v: the pacer's wake-ups were on time (at most %v late), so the lag came from handing events out: emit (the system's enqueue) or the pacer's own work could not keep up with the rate", lag, late)
	case schedMax >= load.LateWake && 2*schedMax >= late:
		return fmt.Sprintf("generator lag p99 %v: %d of the pacer's wake-ups came back more than %v late (at most %v) and goroutines inside evbench waited up to %v for a CPU (Go scheduler latency, sampled): evbench's own work (deliveries, sinks, consumers) kept the pacer from running",
			lag, lateWakes, load.LateWake, late, sched)
	default:
		return fmt.Sprintf("generator lag p99 %v: %d of the pacer's wake-ups came back more than %v late (at most %v) while goroutines inside evbench waited at most %v for a P (Go scheduler latency, sampled): the operating system did not run evbench when its events fell due (other processes on the machine, or a virtual machine's host waking an idle CPU late); see environment.noise",
			lag, lateWakes, load.LateWake, late, sched)
	}
}
