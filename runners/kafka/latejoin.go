package kafka

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// Late consumer groups (subscribers[].join_at under Kafka and the bridge).
//
// A late group is committed at the log start before the load, like every
// group (commitStartOffsets), so the embedded broker's trimming keeps its
// history; its members join only at join_at (from the measured start) and
// read from the committed offsets, i.e. from the earliest record: it
// replays history. Should retention have deleted records before the join,
// the committed offset is below the log start and the members reset to the
// earliest retained offset (ConsumeResetOffset AtStart, whatever
// start_offset says): the deleted records are lost to retention
// (retention.go), not skipped silently.
//
// Catch-up (results.CatchUp defines the fields): a partition is caught up
// when the group processes one of its records within CatchUpSlack plus the
// subscriber's mean processing time of its intended time; the group is
// caught up when every partition is.

// CatchUpSlack is the end-to-end latency above the mean processing time
// that counts as steady state: a partition whose group processes a record
// this close to its intended time has at most this much of arrivals left
// to read. An on-time group's records are usually processed within a few
// milliseconds of being produced (a parked fetch returns as soon as a
// record arrives), so 100 ms leaves room for a loaded machine; twice
// FetchMaxWait (1 s), used before, counted a group still about a second
// of arrivals behind as caught up.
const CatchUpSlack = 100 * time.Millisecond

// lagEvery is the lag series' initial sampling period; lagSamplesMax
// bounds the series (it halves its resolution when full).
const (
	lagEvery      = 250 * time.Millisecond
	lagSamplesMax = 2048
)

// lateJoin tracks one late group's catch-up.
type lateJoin struct {
	joinAt    time.Duration // from the measured start
	threshold time.Duration
	parts     int32
	timeScale float64

	processed atomic.Int64 // records the group processed (first deliveries, warm-up included)
	replayed  atomic.Int64 // measured records intended before the join, processed
	backlog   atomic.Int64 // records acknowledged when the members started joining

	mu         sync.Mutex
	assignedAt int64           // load.Now() when every partition was assigned after the join
	caught     map[int32]int64 // partition -> load.Now() of its first record within threshold
	caughtAt   int64           // when the last partition caught up
	atAssigned int64           // processed at assignedAt
	atCaught   int64           // processed at caughtAt
	lag        []results.LagSample
}

func newLateJoin(joinAt, meanProcessing time.Duration, parts int32, timeScale float64) *lateJoin {
	return &lateJoin{joinAt: joinAt, threshold: CatchUpSlack + meanProcessing, parts: parts, timeScale: timeScale, caught: map[int32]int64{}}
}

// joinTime is the load.Now() instant the group joins, 0 while the
// measured start is not known yet.
func (g *Group) joinTime() int64 {
	start := g.beh.Start()
	if start == 0 {
		return 0
	}
	return start + int64(g.late.joinAt)
}

// waitJoin holds a late group's member until join_at; false when the
// member was stopped first.
func (m *member) waitJoin() bool {
	g := m.g
	if g.late == nil {
		return true
	}
	for {
		at := g.joinTime()
		if at != 0 {
			if !m.sleepUntil(at) {
				return false
			}
			if m.idx == 0 && g.late.backlog.Load() == 0 && g.gs.cfg.Published != nil {
				g.late.backlog.Store(g.gs.cfg.Published())
			}
			return true
		}
		if !m.sleepFor(20 * time.Millisecond) {
			return false
		}
	}
}

// assignedAll is called when every partition is assigned to the group.
func (l *lateJoin) assignedAll(now int64) {
	l.mu.Lock()
	if l.assignedAt == 0 {
		l.assignedAt = now
		l.atAssigned = l.processed.Load()
	}
	l.mu.Unlock()
}

// observe records one processed record of partition p.
func (l *lateJoin) observe(g *Group, p int32, intended, done int64, measured bool) {
	l.processed.Add(1)
	if measured && intended < g.joinTime() {
		l.replayed.Add(1)
	}
	if time.Duration(done-intended) > l.threshold {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.caughtAt != 0 {
		return
	}
	if _, ok := l.caught[p]; !ok {
		l.caught[p] = done
		if int32(len(l.caught)) == l.parts {
			l.caughtAt = done
			l.atCaught = l.processed.Load()
		}
	}
}

// sampleLag runs until stop, sampling published() minus the group's
// processed records.
func (l *lateJoin) sampleLag(g *Group, published func() int64, stop <-chan struct{}) {
	every := lagEvery
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		start := g.beh.Start()
		if start != 0 {
			s := results.LagSample{TS: float64(load.Now()-start) / 1e9, Records: max(published()-l.processed.Load(), 0)}
			l.mu.Lock()
			if len(l.lag) >= lagSamplesMax {
				half := l.lag[:0]
				for i := 0; i < len(l.lag); i += 2 {
					half = append(half, l.lag[i])
				}
				l.lag = half
				every *= 2
			}
			l.lag = append(l.lag, s)
			l.mu.Unlock()
		}
		t.Reset(every)
	}
}

// result builds the group's results.CatchUp.
func (l *lateJoin) result(start int64) *results.CatchUp {
	l.mu.Lock()
	defer l.mu.Unlock()
	sec := func(at int64) float64 { return float64(at-start) / 1e9 }
	c := &results.CatchUp{
		JoinS:         l.joinAt.Seconds(),
		ThresholdUS:   l.threshold.Microseconds(),
		BacklogAtJoin: l.backlog.Load(),
		Replayed:      l.replayed.Load(),
		Lag:           append([]results.LagSample(nil), l.lag...),
	}
	if l.timeScale > 1 {
		c.TimeScale = l.timeScale
	}
	if l.assignedAt != 0 {
		c.AssignedS = sec(l.assignedAt)
	}
	if l.caughtAt != 0 {
		c.CaughtUp = true
		c.CaughtUpS = sec(l.caughtAt)
		c.CatchUpS = max(c.CaughtUpS-c.JoinS, 0)
		if l.timeScale > 1 {
			c.CatchUpScenarioS = c.CatchUpS * l.timeScale
		}
		if l.assignedAt != 0 {
			c.CatchUpRecords = l.atCaught - l.atAssigned
			if d := sec(l.caughtAt) - sec(l.assignedAt); d > 0 {
				c.ReplayPerS = float64(c.CatchUpRecords) / d
			}
		}
	}
	return c
}

// CatchUps returns the catch-up of every late group by subscriber index
// (nil for groups that joined from the start); call after Close.
func (gs *Groups) CatchUps() []*results.CatchUp {
	out := make([]*results.CatchUp, len(gs.groups))
	for i, g := range gs.groups {
		if g.late != nil {
			out[i] = g.late.result(g.beh.Start())
		}
	}
	return out
}

// AttachCatchUps copies the late groups' catch-up into res (subscribers in
// the same order as the groups).
func (gs *Groups) AttachCatchUps(res *results.Point) {
	if res == nil {
		return
	}
	gs.attachProcesses(res) // isolate.go
	for i, c := range gs.CatchUps() {
		if c != nil && i < len(res.Subscribers) {
			res.Subscribers[i].CatchUp = c
		}
	}
}
