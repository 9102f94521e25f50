package webhook

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// Memory sampling (issue 16 item 2): the cost model prices the sender's
// memory per delivery in flight and per connection; these are measured
// here, per point, instead of assumed.
//
// What is sampled: the Go heap's live bytes as marked by the most recent GC
// (/gc/heap/live:bytes) plus goroutine stacks (/memory/classes/heap/stacks).
// Reading them is cheap and forces no GC (one is forced for the baseline,
// before the first event). The live heap is only known at a
// GC, so a sample is kept only when a GC cycle completed since the previous
// tick: it pairs the heap marked within the last interval with the
// deliveries in flight and connections open at the tick (both move slowly
// next to the interval when deliveries take long enough to pile up).

// memSampleInterval is how often the sampler looks.
const memSampleInterval = 100 * time.Millisecond

// Thresholds for a meaningful fit: enough samples, and in-flight
// deliveries that moved over a wide enough range that the slope is not
// GC noise.
const (
	memMinSamples  = 4   // the idle baseline and three GCs
	memMinSpread   = 32  // deliveries in flight between the least and most sampled
	memMinR2       = 0.6 // below this the in-flight count does not explain memory
	memCollinearR  = 0.9 // in-flight and connections this correlated are fitted as one
	memMinConnSpan = 16  // connections between the least and most sampled
)

// memSample is one observation.
type memSample struct {
	mem, inflight, conns float64
}

// memSampler samples memory, deliveries in flight and open connections
// from Start until Stop.
type memSampler struct {
	inflight, conns func() int64
	interval        time.Duration

	mu       sync.Mutex
	samples  []memSample
	baseline int64
	peakIF   int64
	peakConn int64
	peakMem  int64
	stop     chan struct{}
	done     chan struct{}
}

// memRead returns heap live bytes (at the last GC), stack bytes and the
// GC cycles completed so far.
func memRead() (live, stacks, cycles uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	for i := range s {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0, 0, 0
		}
	}
	return s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
}

// startMemSampler records the idle baseline and starts sampling. It forces
// one GC, before the first event (off the delivery path), so the baseline is
// the heap live now rather than as marked by a GC of an earlier point; none
// is forced while the load runs.
func startMemSampler(inflight, conns func() int64, interval time.Duration) *memSampler {
	runtime.GC()
	live, stacks, cycles := memRead()
	m := &memSampler{inflight: inflight, conns: conns, interval: interval, baseline: int64(live + stacks),
		stop: make(chan struct{}), done: make(chan struct{})}
	m.samples = append(m.samples, memSample{mem: float64(live + stacks), inflight: float64(inflight()), conns: float64(conns())})
	m.peakMem = m.baseline
	go m.loop(cycles)
	return m
}

func (m *memSampler) loop(lastCycles uint64) {
	defer close(m.done)
	tk := time.NewTicker(m.interval)
	defer tk.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-tk.C:
		}
		live, stacks, cycles := memRead()
		in, c := m.inflight(), m.conns()
		mem := int64(live + stacks)
		m.mu.Lock()
		// Peaks over every tick, not only the samples fitted.
		m.peakIF, m.peakConn, m.peakMem = max(m.peakIF, in), max(m.peakConn, c), max(m.peakMem, mem)
		if cycles != lastCycles { // else the live heap has not been re-marked since the last sample
			m.samples = append(m.samples, memSample{mem: float64(mem), inflight: float64(in), conns: float64(c)})
		}
		m.mu.Unlock()
		lastCycles = cycles
	}
}

// Finish stops sampling and fits the samples. scope is
// results.MemorySenderOnly or results.MemoryUpperBound.
func (m *memSampler) Finish(scope string) *results.SenderMemory {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	out := fitMemory(m.samples, scope)
	out.IntervalMS = float64(m.interval) / float64(time.Millisecond)
	out.BaselineBytes, out.PeakBytes = m.baseline, m.peakMem
	out.PeakInFlight, out.PeakConnections = m.peakIF, m.peakConn
	return out
}

// fitMemory fits memory against deliveries in flight and open connections
// by least squares: both when they moved independently enough to be
// separated, otherwise memory against in flight alone (each delivery's
// figure then includes its connection). It records a figure only when the
// fit is meaningful, and says why not otherwise.
func fitMemory(s []memSample, scope string) *results.SenderMemory {
	out := &results.SenderMemory{Samples: len(s), Scope: scope,
		Method: "least squares of Go live heap (at each GC; none forced during the load) + goroutine stacks against deliveries in flight"}
	if len(s) < memMinSamples {
		out.Unmeasured = fmt.Sprintf("%d samples (a GC completed between %d ticks): fewer than %d", len(s), len(s), memMinSamples)
		return out
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	clo, chi := math.Inf(1), math.Inf(-1)
	for _, x := range s {
		lo, hi = min(lo, x.inflight), max(hi, x.inflight)
		clo, chi = min(clo, x.conns), max(chi, x.conns)
	}
	if hi-lo < memMinSpread {
		out.Unmeasured = fmt.Sprintf("deliveries in flight ranged only %g..%g over the samples (need a spread of %d): memory per delivery would be GC noise", lo, hi, memMinSpread)
		return out
	}
	n := float64(len(s))
	var mi, mc, mm float64
	for _, x := range s {
		mi += x.inflight / n
		mc += x.conns / n
		mm += x.mem / n
	}
	var sii, scc, sic, sim, scm, smm float64
	for _, x := range s {
		di, dc, dm := x.inflight-mi, x.conns-mc, x.mem-mm
		sii += di * di
		scc += dc * dc
		sic += di * dc
		sim += di * dm
		scm += dc * dm
		smm += dm * dm
	}
	if smm == 0 {
		out.Unmeasured = "memory did not move over the samples"
		return out
	}
	// Two variables when connections moved enough and not in step with
	// deliveries in flight.
	r := 0.0
	if sii > 0 && scc > 0 {
		r = sic / math.Sqrt(sii*scc)
	}
	if chi-clo >= memMinConnSpan && math.Abs(r) < memCollinearR {
		det := sii*scc - sic*sic
		bi := (sim*scc - scm*sic) / det
		bc := (scm*sii - sim*sic) / det
		if bi > 0 && bc > 0 {
			r2 := (bi*sim + bc*scm) / smm
			if r2 >= memMinR2 {
				out.PerInFlightBytes, out.PerConnectionBytes, out.R2 = bi, bc, r2
				out.Method += fmt.Sprintf(" and open connections (correlation %.2f: separable)", r)
				return out
			}
		}
	}
	b := sim / sii
	r2 := b * sim / smm
	switch {
	case b <= 0:
		out.Unmeasured = fmt.Sprintf("memory did not grow with deliveries in flight (slope %.0f bytes)", b)
		return out
	case r2 < memMinR2:
		out.Unmeasured = fmt.Sprintf("deliveries in flight explain too little of the memory (R² %.2f < %.1f)", r2, memMinR2)
		return out
	}
	out.PerInFlightBytes, out.R2 = b, r2
	out.Method += fmt.Sprintf(" alone: open connections (%g..%g, correlation %.2f with in flight) could not be separated, so the figure includes the connection each delivery holds", clo, chi, r)
	return out
}
