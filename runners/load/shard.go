package load

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Shard is one part of a run split over several load generators: shard
// Index of Count runs the events whose index in the full schedule is Index
// mod Count, at the intended times the full schedule gives them, with the
// ids a single generator would give them. The union of the Count shards is
// the single-host schedule exactly (k6's execution segments are the model).
type Shard struct{ Index, Count int }

// MaxShards bounds Count: an id set key keeps the shard in the bits above
// the 40-bit sequence number (results.IDKey).
const MaxShards = 1 << 16

// ParseShard parses "INDEX/COUNT" with 0 <= INDEX < COUNT (INDEX as
// Kubernetes' JOB_COMPLETION_INDEX numbers an Indexed Job's pods).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT such as 0/3", s)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err := errors.Join(err1, err2); err != nil {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT such as 0/3: %w", s, err)
	}
	if cnt < 1 || cnt > MaxShards || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("shard %q: want 0 <= INDEX < COUNT <= %d", s, MaxShards)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// count is Count, or 1 for the zero Shard.
func (s Shard) count() uint64 { return uint64(max(s.Count, 1)) }

// Global is the index in the full schedule of the shard's k-th event.
func (s Shard) Global(k uint64) uint64 { return uint64(s.Index) + k*s.count() }

// sharding is the Generator's shard state.
type sharding struct {
	shard   Shard
	startAt time.Time
	late    atomic.Int64
}

// Plan is how this process takes part in a sharded run. It is process-wide
// (SetPlan) because the CLI runs one scenario per process and every runner
// creates its generator with New.
type Plan struct {
	Shard Shard
	// StartAt, when not zero, is the wall-clock instant at which every
	// shard starts its schedule.
	StartAt time.Time
	// ExternalConsumers says the Kafka consumer groups are run by `evbench
	// consume` processes, which record what they processed in their own
	// results: this process only produces (`evbench run
	// --external-consumers`).
	ExternalConsumers bool
}

// ActivePlan returns the process's plan (nil on a single host without one).
func ActivePlan() *Plan { return plan.Load() }

var (
	plan    atomic.Pointer[Plan]
	planned atomic.Uint64 // generators created under the plan
)

// SetPlan sets the process's plan for the generators created after it; nil
// clears it (a single host starting when it is ready).
func SetPlan(p *Plan) {
	plan.Store(p)
	planned.Store(0)
}

// applyPlan is called by New: it takes the plan's shard and, for the
// first generator created under it, its start instant; and it derives the
// id base from the seed, the start instant and the generator's ordinal
// rather than from this host's clock, so every shard gives event k the
// same id.
func (g *Generator) applyPlan(seed uint64) {
	p := plan.Load()
	g.shard = Shard{Count: 1}
	if p == nil {
		return
	}
	n := planned.Add(1)
	g.shard = p.Shard
	if g.shard.Count < 1 {
		g.shard.Count = 1
	}
	if n == 1 && !p.StartAt.IsZero() {
		g.startAt = p.StartAt
	}
	g.idBase = (rand.New(rand.NewPCG(seed^n, uint64(p.StartAt.UnixNano()))).Uint64() | 1<<63) &^ (1<<40 - 1)
}

// skip is the generator loop's shard filter: it reports whether the event
// with index *seq belongs to another shard, and if so consumes what that
// event would have drawn (its key) and advances *seq, so the events this
// shard keeps get the keys and payloads the single-host schedule gives them.
func (g *Generator) skip(seq *uint64) bool {
	if g.shard.Count <= 1 || *seq%uint64(g.shard.Count) == uint64(g.shard.Index) {
		return false
	}
	g.keyRng.IntN(g.keys)
	*seq++
	return true
}

// Shard is the part of the run this generator plays ({0 1} on a single host).
func (g *Generator) Shard() Shard { return g.shard }

// StartAt returns the Now() timestamp at which to start the schedule: the
// plan's start instant when one applies to this generator, else proposed
// (a moment just after the runner is ready). When the runner is ready only
// after the start instant (it is called then), the schedule still starts
// at the instant, so the shards' intended times stay aligned, and how late
// it is now is recorded (StartLate): the first events go out late by as
// much, and the generator lag shows it.
func (g *Generator) StartAt(proposed int64) int64 {
	if g.startAt.IsZero() {
		return proposed
	}
	now := Now()
	// time.Until reads the host's clock, which ShiftClock moves too.
	at := now + int64(time.Until(g.startAt)) - shift.Load()
	g.late.Store(max(0, now-at))
	return at
}

// PlannedStart is the wall-clock start instant of the plan (zero when none
// applies to this generator).
func (g *Generator) PlannedStart() time.Time { return g.startAt }

// StartLate is how much later than its planned start instant the runner
// was ready to start the schedule (0 when on time or without a plan).
func (g *Generator) StartLate() time.Duration { return time.Duration(g.late.Load()) }
