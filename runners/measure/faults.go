package measure

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// gapResolution is the smallest gap the unavailability trackers resolve:
// an observation closer than this to the previous one is skipped, so the
// trackers cost one atomic load per ack or delivery at high rates.
const gapResolution = int64(time.Millisecond)

// maxClusterSamples bounds the cluster-state samples a point keeps (one a
// second: more than a day).
const maxClusterSamples = 100_000

// gapTracker keeps the longest interval between consecutive observations
// (acks or deliveries), safely under concurrent callers.
type gapTracker struct{ last, longest atomic.Int64 }

func (g *gapTracker) observe(t int64) {
	for {
		old := g.last.Load()
		if t-old < gapResolution {
			return
		}
		if g.last.CompareAndSwap(old, t) {
			gap := t - old
			for {
				m := g.longest.Load()
				if gap <= m || g.longest.CompareAndSwap(m, gap) {
					return
				}
			}
		}
	}
}

// final is the longest gap, counting an open one that started before the
// generator's last event (sentLast) and ran until end.
func (g *gapTracker) final(sentLast, end int64) int64 {
	longest := g.longest.Load()
	if last := g.last.Load(); last < sentLast {
		longest = max(longest, end-last)
	}
	return longest
}

type clusterSample struct{ at, underReplicated, isrMin int64 }

// faultState is a point's record of infrastructure faults: the windows,
// the unavailability trackers, the cluster's replication state and the
// ids Kafka never acknowledged.
type faultState struct {
	ack, del  gapTracker
	mu        sync.Mutex
	windows   []results.FaultWindow
	cluster   []clusterSample
	pubFailed bitmap
	crashes   bool // ExpectCrashes
}

// ExpectCrashes tells the point that its system's child process may be
// crashed (sender-crash, bridge-crash): the point gets availability figures
// (the longest gap without a delivery, and without a produce ack for the
// bridge) even without a broker fault window. The runner reports the crash
// windows themselves (results.ChildProcess) and calls CrashRecovery once
// it has. Call before the load starts.
func (p *Point) ExpectCrashes() {
	p.faults.mu.Lock()
	p.faults.crashes = true
	p.faults.mu.Unlock()
}

// CrashRecovery sets out's recovery time from all its fault windows
// (broker faults and child-process crashes: results.Point.AllFaultWindows)
// when Finish could not: a point whose only faults were crashes, which the
// runner attaches after Finish.
func CrashRecovery(out *results.Point) {
	if out == nil || out.Availability == nil || out.Availability.RecoveryS != nil {
		return
	}
	recoveryFrom(out.Availability, out, out.AllFaultWindows())
}

func (f *faultState) start(measuredStart int64) {
	f.ack.last.Store(measuredStart)
	f.del.last.Store(measuredStart)
}

// AddFaultWindow records a fault window (kind, target, start and end in
// seconds since the measured start: see SinceStart).
func (p *Point) AddFaultWindow(w results.FaultWindow) {
	p.faults.mu.Lock()
	p.faults.windows = append(p.faults.windows, w)
	p.faults.mu.Unlock()
}

// SinceStart converts a load.Now() timestamp to seconds since the start of
// the measured period.
func (p *Point) SinceStart(t int64) float64 { return float64(t-p.measuredStart) / 1e9 }

// ClusterState records the topic's replication state read at t (load.Now()
// timeline): under-replicated partitions and the smallest ISR. The
// per-second series carries the latest one at each sample.
func (p *Point) ClusterState(t, underReplicated, isrMin int64) {
	p.faults.mu.Lock()
	if len(p.faults.cluster) < maxClusterSamples {
		p.faults.cluster = append(p.faults.cluster, clusterSample{t, underReplicated, isrMin})
	}
	p.faults.mu.Unlock()
}

// PublishFailed records that the record of event id was never
// acknowledged by Kafka (failed, or abandoned at the end of the drain).
func (p *Point) PublishFailed(id uint64) {
	if id < p.idBase || id-p.idBase >= 1<<40 {
		return
	}
	p.faults.mu.Lock()
	p.faults.pubFailed.set(id - p.idBase)
	p.faults.mu.Unlock()
}

// finishFaults adds the fault windows, availability and replication
// series to out, and attributes lost events Kafka never acknowledged to
// the broker fault when one was applied. Called by Finish after the
// subscribers' results are built, before the ledger checks.
func (p *Point) finishFaults(out *results.Point, c results.Capabilities) {
	f := &p.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	cl := slices.Clone(f.cluster)
	for i := range out.Timeseries {
		smp := &out.Timeseries[i]
		at := p.measuredStart + int64(smp.TS*1e9)
		var last *clusterSample
		for j := range cl {
			if cl[j].at > at {
				break
			}
			last = &cl[j]
		}
		if last != nil {
			u, m := last.underReplicated, last.isrMin
			smp.UnderReplicated, smp.ISRMin = &u, &m
		}
	}
	if len(f.windows) == 0 && !f.crashes {
		return
	}
	out.FaultWindows = slices.Clone(f.windows)
	end := load.Now()
	sentLast := p.Gen.Returned()
	av := &results.Availability{LongestDeliveryGapS: float64(f.del.final(sentLast, end)) / 1e9}
	if c.Publish {
		av.LongestPublishGapS = float64(f.ack.final(sentLast, end)) / 1e9
	}
	recoveryFrom(av, out, out.FaultWindows)
	out.Availability = av
	applied := false
	for _, w := range f.windows {
		applied = applied || w.Applied
	}
	if !applied {
		return
	}
	for i, s := range p.Subs {
		a := &out.Subscribers[i].Accounting
		if a.Lost == 0 {
			continue
		}
		s.mu.Lock()
		n := min(int64(f.pubFailed.countAndNot(&s.done)), a.LostBy.NotDelivered)
		s.mu.Unlock()
		a.LostBy.NotDelivered -= n
		a.LostBy.BrokerFault += n
	}
}

// recoveryFrom sets the recovery time: from the end of the last fault
// window until the series' lag is back to its highest level in the 5 s
// before the first window.
func recoveryFrom(av *results.Availability, out *results.Point, wins []results.FaultWindow) {
	ts := out.Timeseries
	if len(ts) == 0 || len(wins) == 0 {
		return
	}
	first, last := wins[0].StartS, wins[0].EndS
	for _, w := range wins {
		first, last = min(first, w.StartS), max(last, w.EndS)
	}
	var pre int64
	seen, anyLag := false, false
	for _, s := range ts {
		anyLag = anyLag || s.Lag != 0
		if s.TS <= first && s.TS > first-5 {
			pre, seen = max(pre, s.Lag), true
		}
	}
	if !anyLag {
		return
	}
	if !seen && len(ts) > 0 {
		pre = ts[0].Lag
	}
	av.PreFaultLag = pre
	r := -1.0
	for _, s := range ts {
		if s.TS >= last && s.Lag <= pre {
			r = s.TS - last
			break
		}
	}
	av.RecoveryS = &r
}
