package runners

import (
	"context"
	"fmt"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
)

// DefaultInterruptDrain bounds the drain after an interruption when the
// point does not say (README: "Ctrl-C stops the load, drains for at most
// 5 s").
const DefaultInterruptDrain = 5 * time.Second

// System is one system's part of a point: what it starts, how it sends an
// event and how it stops. RunPoint owns everything else, the same way for
// every system: the generator, the measurement point, the subscribers'
// behaviours (fault timelines), the start of the schedule, warm-up, the
// drain and its bound after Ctrl-C, dead letters and the interrupted
// status.
type System interface {
	// Start builds and starts the system for the point, before the
	// schedule starts. It contributes through r: notes and gauges
	// (r.Measure), hooks run when the measured period is fixed
	// (r.AtBegin), a drain condition (r.DrainUntil) and clean-ups
	// (r.Defer, run when RunPoint returns, also after a failed Start).
	// An error fails the point before it began: RunPoint returns it with
	// no point.
	Start(ctx context.Context, r *Run) error
	// Send hands one event to the system at its intended time. It is the
	// generator's callback: it must not wait for the system.
	Send(ev load.Event)
	// Stop stops the system after the drain, in the order its parts
	// need. When it returns nothing records a measurement any more.
	Stop(r *Run)
	// Finish adds the system's details to the point measure.Point.Finish
	// built (res is nil or err non-nil when that failed) and settles its
	// status: a point with a non-nil error is recorded as failed. When
	// the run was interrupted (r.Interrupted) a complete point is already
	// marked interrupted.
	Finish(r *Run, res *results.Point, err error) (*results.Point, error)
}

// Spec says what RunPoint needs to know of a system before it starts.
type Spec struct {
	// System is the system's registered name.
	System string
	// Caps are the system's capabilities (its Descriptor's), which
	// measure.Point.Finish records.
	Caps results.Capabilities
	// Subscribers names the measured subscribers; nil means the
	// scenario's subscribers, in order.
	Subscribers []string
}

// Run is one point in progress: what RunPoint made for the system, and
// what the system contributes to it.
type Run struct {
	// Point is the point being run.
	Point *Point
	// Gen is the point's open-loop generator.
	Gen *load.Generator
	// Measure is the point's measurement point.
	Measure *measure.Point
	// Interrupted is true once the drain saw ctx cancelled (during the
	// load or the drain); set before Stop.
	Interrupted bool
	// LoadEnd is when the generator returned; set before the drain.
	LoadEnd time.Time
	// DeadLetterLines and DeadLettersDropped are the dead-letter lines of
	// this point written to and dropped by Point.DeadLetters, and
	// DeadLetterErr the writer's error; set after Stop, once every line of
	// the point was flushed.
	DeadLetterLines, DeadLettersDropped int64
	DeadLetterErr                       error

	behaviours []*behave.Subscriber
	atBegin    []func(measuredStart int64)
	cleanups   []func()
	settled    func() bool
}

// Behaviours returns the scenario's subscribers' behaviours (processing
// time and fault timeline), seeded by the scenario, one per subscriber in
// order. RunPoint tells each where the measured period begins.
func (r *Run) Behaviours() []*behave.Subscriber {
	if r.behaviours == nil {
		sc := r.Point.Scenario
		r.behaviours = make([]*behave.Subscriber, len(sc.Subscribers))
		for i, s := range sc.Subscribers {
			r.behaviours[i] = behave.New(s, sc.Event.Seed)
		}
	}
	return r.behaviours
}

// AtBegin adds a hook run once the schedule's start is fixed, with the
// start of the measured period (fault timelines, emulated links, broker
// fault schedules, watchers).
func (r *Run) AtBegin(f func(measuredStart int64)) { r.atBegin = append(r.atBegin, f) }

// Defer adds a clean-up run when RunPoint returns, last added first (like
// defer in Start, which returns before the load).
func (r *Run) Defer(f func()) { r.cleanups = append(r.cleanups, f) }

// DrainUntil replaces the drain's condition (by default every subscriber
// has every measured event resolved: measure.Point.Settled).
func (r *Run) DrainUntil(settled func() bool) { r.settled = settled }

// Note adds a note to the point.
func (r *Run) Note(format string, args ...any) { r.Measure.Note(format, args...) }

// CeilingNote notes what bounds the subscribers' throughput, when a
// subscriber's processing time caps it (behave.CeilingNote).
func (r *Run) CeilingNote(system string, concurrency int, what string) {
	if n := behave.CeilingNote(system, concurrency, what, r.Point.Scenario.Subscribers); n != "" {
		r.Measure.Note("%s", n)
	}
}

// RunPoint runs one point of a system: it makes the generator and the
// measurement point, starts the system, fixes the schedule's start
// (Point.Begin: behaviours and AtBegin hooks learn the measured start),
// runs the open-loop load (warm-up first), drains until the system is
// settled or load.drain ends, stops the system and builds the results.
// On ctx cancellation, during the load or the drain, the drain ends within
// Point.InterruptDrain and a complete point is marked interrupted.
func RunPoint(ctx context.Context, pt *Point, spec Spec, sys System) (*results.Point, error) {
	if pt == nil || pt.Scenario == nil {
		return nil, fmt.Errorf("%s runner: no scenario", spec.System)
	}
	sc := pt.Scenario
	if len(sc.Subscribers) == 0 {
		return nil, fmt.Errorf("%s runner: scenario has no subscribers", spec.System)
	}
	gen, err := load.New(sc)
	if err != nil {
		return nil, fmt.Errorf("%s runner: load generator: %w", spec.System, err)
	}
	names := spec.Subscribers
	if names == nil {
		names = make([]string, len(sc.Subscribers))
		for i, s := range sc.Subscribers {
			names[i] = s.Name
		}
	}
	r := &Run{Point: pt, Gen: gen, Measure: measure.NewPoint(spec.System, gen, names, sc.Event.Keys)}
	defer r.cleanUp()
	if err := sys.Start(ctx, r); err != nil {
		return nil, err
	}

	// Dead-letter lines of this point: the writer is shared by every point
	// of a run, and points run one at a time.
	dlLines0, dlDropped0 := pt.DeadLetters.Lines(), pt.DeadLetters.Dropped()
	hooks := make([]func(int64), 0, len(r.behaviours)+len(r.atBegin))
	for _, b := range r.behaviours {
		hooks = append(hooks, b.SetStart)
	}
	hooks = append(hooks, r.atBegin...)
	start := pt.Begin(r.Measure, hooks...)
	gen.Run(ctx, start, sys.Send)
	r.LoadEnd = time.Now()
	r.Interrupted = r.drain(ctx)
	sys.Stop(r)

	// Every dead letter of the point is queued by now: wait for the disk.
	r.DeadLetterErr = pt.DeadLetters.Flush()
	r.DeadLettersDropped = pt.DeadLetters.Dropped() - dlDropped0
	r.DeadLetterLines = pt.DeadLetters.Lines() - dlLines0

	res, err := r.Measure.Finish(spec.Caps, pt.Params)
	if err == nil && res != nil && r.Interrupted && res.Status == results.StatusComplete {
		res.Status = results.StatusInterrupted
	}
	res, err = sys.Finish(r, res, err)
	if err != nil || res == nil {
		return res, err
	}
	return r.deadLetters(spec.System, res)
}

// drain runs the point's drain with the system's condition (by default
// measure.Point.Settled).
func (r *Run) drain(ctx context.Context) (interrupted bool) {
	settled := r.settled
	if settled == nil {
		settled = r.Measure.Settled
	}
	return Drain(ctx, r.Point.Scenario.Load.Drain.D(), r.Point.InterruptDrain.D(), settled)
}

// Drain waits after the load until settled(), at most drain; once ctx is
// cancelled (before or during the drain) at most interruptDrain more
// (DefaultInterruptDrain when <= 0). It reports whether the run was
// interrupted. RunPoint and the multi-hop flows (runners/flow) drain with
// it.
func Drain(ctx context.Context, drain, interruptDrain time.Duration, settled func() bool) (interrupted bool) {
	if interruptDrain <= 0 {
		interruptDrain = DefaultInterruptDrain
	}
	if ctx.Err() != nil {
		waitSettled(min(drain, interruptDrain), nil, settled)
		return true
	}
	waitSettled(drain, ctx.Done(), settled)
	if ctx.Err() == nil {
		return false
	}
	waitSettled(interruptDrain, nil, settled)
	return true
}

// drainPoll is how often the drain checks its condition.
const drainPoll = 10 * time.Millisecond

// waitSettled waits until settled(), at most max, or until done closes.
func waitSettled(max time.Duration, done <-chan struct{}, settled func() bool) {
	deadline := time.Now().Add(max)
	t := time.NewTimer(drainPoll)
	defer t.Stop()
	for !settled() && time.Now().Before(deadline) {
		select {
		case <-done:
			return
		case <-t.C:
			t.Reset(drainPoll)
		}
	}
}

// deadLetters fails a point whose dead letters could not be written, and
// notes lines the writer's bounded buffer dropped.
func (r *Run) deadLetters(system string, res *results.Point) (*results.Point, error) {
	var dead int64
	for _, s := range r.Measure.Subs {
		dead += s.DeadLettered()
	}
	if dead == 0 && r.DeadLetterLines+r.DeadLettersDropped == 0 {
		return res, nil // a writer failed by an earlier point is not this point's
	}
	if r.DeadLetterErr != nil {
		// The counts in results are right, but dead-letters.jsonl could not
		// be written: fail the point loudly rather than ship a partial file.
		err := fmt.Errorf("%s runner: dead letters: %d written, %d not written: %w", system, r.DeadLetterLines, r.DeadLettersDropped, r.DeadLetterErr)
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, err
	}
	if r.DeadLettersDropped > 0 {
		// The writer's bounded buffer overflowed (the disk or the CPU could
		// not keep up); the pacer was not made to wait for it.
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d dead letters of this point were not written to dead-letters.jsonl (%d were): %v; the counts in results are exact",
			DeadLettersIncomplete, r.DeadLettersDropped, r.DeadLetterLines, ErrLineBufferFull))
	}
	return res, nil
}

// DeadLettersIncomplete starts the note of a point whose dead-letter lines
// did not all fit the writer's bounded buffer.
const DeadLettersIncomplete = "dead-letters.jsonl incomplete"

// cleanUp runs the clean-ups, last added first.
func (r *Run) cleanUp() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}
