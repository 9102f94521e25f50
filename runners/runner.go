// Package runners defines the contract every system runner implements and
// a registry of system descriptors by name. A system is a package under
// runners/ that calls Register in an init function with its Descriptor
// (name, runner factory, capabilities, cost family, order) and is imported
// by cmd/evbench/main.go.
//
// Results and reports need nothing else: measure.Point.Finish records the
// figures the descriptor's capabilities name, every point records the
// capabilities, cost family and order (reports/results), and reports draw
// and price from those, never from the system's name. What a new system
// still has to touch outside its package is the scenario side: its block
// of the scenario model, defaults and validation (scenarios/types.go,
// load.go, validate.go; sweepable settings in sweep.go; clone and
// redaction in clone.go; rows of docs/scenarios.md), which issue 8 item 1
// moves into the descriptor too (docs/architecture.md, "Adding a system").
package runners

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// Runner runs one system for one point. A system implements it by
// calling RunPoint (lifecycle.go) with its System: start, send, stop.
type Runner interface {
	// Run executes the point: start the system and subscribers, run the
	// open-loop load (warm-up, measured period), drain, stop everything
	// and return the measurements. On ctx cancellation it stops the load,
	// drains for at most Point.InterruptDrain and returns what it measured
	// with Status interrupted. A non-nil error with a non-nil point means
	// the point is recorded as failed.
	Run(ctx context.Context, pt *Point) (*results.Point, error)
}

// Point is everything a runner needs for one point.
type Point struct {
	// Scenario is resolved for this point: the swept rate, subscriber list
	// and system settings are already applied.
	Scenario *scenarios.Scenario
	// Params are the point's parameters for results (rate_per_s,
	// subscribers, every swept value).
	Params map[string]float64
	// Brokers overrides the Kafka brokers (--brokers); "" keeps the scenario's.
	Brokers string
	// DeadLetters receives one JSON line per dead-lettered event; safe for
	// concurrent use. May be nil.
	DeadLetters *LineWriter
	// OnStart is called with the measurement point once it exists, so the
	// CLI can show live progress. May be nil.
	OnStart func(*measure.Point)
	// Logf prints diagnostics (broker start, topic creation). May be nil.
	Logf func(format string, args ...any)
	// InterruptDrain bounds the drain after an interruption (default 5s).
	InterruptDrain scenarios.Duration
}

// StartDelay places the first intended send time a little after set-up, so
// the first events are not late because Begin itself took time.
const StartDelay = 50 * time.Millisecond

// Begin starts a point's measurement: it fixes the start of the schedule
// StartDelay ahead, starts mp's sampler, tells every fault timeline
// (setStart) where the measured period begins, and hands mp to OnStart for
// progress display. It returns the start to pass to the generator's Run.
// Every runner calls it, so all systems begin measuring the same way.
func (p *Point) Begin(mp *measure.Point, setStart ...func(measuredStart int64)) int64 {
	// A sharded run starts at its planned instant (runners/load/shard.go).
	start := mp.Gen.StartAt(load.Now() + int64(StartDelay))
	mp.Start(start)
	for _, f := range setStart {
		f(mp.MeasuredStart())
	}
	if p.OnStart != nil {
		p.OnStart(mp)
	}
	return start
}

// Log prints through Logf when set.
func (p *Point) Log(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

// DefaultLineBuffer bounds the bytes a LineWriter holds waiting for the
// disk: about 80,000 dead letters.
const DefaultLineBuffer = 16 << 20

// ErrLineBufferFull is returned by WriteLine when the writer's buffer is
// full: the line is dropped and counted in Dropped.
var ErrLineBufferFull = errors.New("line buffer full: the writer could not keep up")

// LineWriter writes whole lines to an io.Writer from many goroutines
// without making them wait for the disk: WriteLine copies the line into a
// bounded buffer and a goroutine writes the buffer out in batches. It is
// meant for the hot path (dead letters are written while the generator
// paces events): a full buffer drops the line (counted in Dropped) rather
// than blocking, and a failed write is kept (Err) and makes every later
// line count as dropped. Lines counts a line only once it is written.
// Call Close (or Flush) before reading what was written.
type LineWriter struct {
	w     io.Writer
	limit int

	mu       sync.Mutex
	idle     *sync.Cond // signalled after every batch
	buf      []byte     // lines waiting, filled by WriteLine
	spare    []byte
	writing  bool // a batch is being written
	closed   bool
	err      error
	wake     chan struct{}
	done     chan struct{}
	written  atomic.Int64
	dropped  atomic.Int64
	startOne sync.Once
}

// NewLineWriter wraps w with a DefaultLineBuffer buffer.
func NewLineWriter(w io.Writer) *LineWriter { return NewLineWriterSize(w, DefaultLineBuffer) }

// NewLineWriterSize wraps w, holding at most limit bytes of lines waiting
// to be written (a line longer than limit is dropped).
func NewLineWriterSize(w io.Writer, limit int) *LineWriter {
	l := &LineWriter{w: w, limit: limit, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// WriteLine queues b plus a newline; lines are never interleaved. It does
// not wait for the disk. It returns ErrLineBufferFull, the writer's first
// write error, or an error after Close; the line is then dropped and
// counted in Dropped.
func (l *LineWriter) WriteLine(b []byte) error {
	if l == nil {
		return nil
	}
	l.startOne.Do(func() { go l.loop() })
	l.mu.Lock()
	var err error
	switch {
	case l.closed:
		err = errors.New("write line: writer closed")
	case l.err != nil:
		err = l.err
	case len(l.buf)+len(b)+1 > l.limit:
		err = ErrLineBufferFull
	}
	if err != nil {
		l.mu.Unlock()
		l.dropped.Add(1)
		return err
	}
	// Wake the writer only when the buffer turns non-empty: while it is
	// writing a batch, lines pile up for the next one without a wake-up
	// per line.
	first := len(l.buf) == 0 && !l.writing
	l.buf = append(append(l.buf, b...), '\n')
	l.mu.Unlock()
	if first {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// loop writes batches until Close.
func (l *LineWriter) loop() {
	for {
		select {
		case <-l.wake:
		case <-l.done:
			return
		}
		l.writeBatches()
	}
}

// writeBatches writes everything queued, one batch per swap.
func (l *LineWriter) writeBatches() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.buf) > 0 && l.err == nil {
		batch := l.buf
		l.buf, l.spare = l.spare[:0], nil
		l.writing = true
		l.mu.Unlock()
		n, err := l.w.Write(batch)
		if err == nil && n < len(batch) {
			err = io.ErrShortWrite
		}
		whole := int64(bytes.Count(batch[:max(n, 0)], []byte{'\n'}))
		l.written.Add(whole)
		l.mu.Lock()
		l.writing = false
		if err != nil {
			l.err = fmt.Errorf("write line: %w", err)
			// Lines not (wholly) written, and those queued behind them,
			// are dropped.
			l.dropped.Add(int64(bytes.Count(batch, []byte{'\n'})) - whole + int64(bytes.Count(l.buf, []byte{'\n'})))
			l.buf = l.buf[:0]
		}
		if cap(batch) <= l.limit {
			l.spare = batch[:0]
		}
		l.idle.Broadcast()
	}
	l.idle.Broadcast()
}

// Flush waits until every line queued so far is written (or dropped) and
// returns the writer's first write error.
func (l *LineWriter) Flush() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for (len(l.buf) > 0 || l.writing) && l.err == nil {
		if l.closed {
			break
		}
		select {
		case l.wake <- struct{}{}:
		default:
		}
		l.idle.Wait()
	}
	return l.err
}

// Close flushes and stops the writer's goroutine; later lines are
// dropped. It does not close the underlying writer.
func (l *LineWriter) Close() error {
	if l == nil {
		return nil
	}
	l.startOne.Do(func() {}) // no goroutine needed if nothing was written
	err := l.Flush()
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	l.mu.Unlock()
	return err
}

// Lines is the number of lines written to the underlying writer.
func (l *LineWriter) Lines() int64 {
	if l == nil {
		return 0
	}
	return l.written.Load()
}

// Dropped is the number of lines not written: the buffer was full, a write
// failed, or the writer was closed.
func (l *LineWriter) Dropped() int64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Err is the first write error, if any.
func (l *LineWriter) Err() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Factory makes a fresh runner; every point gets a new one.
type Factory func() Runner

// Descriptor is what a system package registers about its system: how to
// run it and what its results are. Everything outside the package that
// needs to know what a system is reads it here or, for reports, from the
// copy recorded on every point (results.Point's capabilities, cost_family
// and order), never from the system's name.
type Descriptor struct {
	// Name is the system's name: the key of its scenario block and the
	// "system" of its points.
	Name string
	// New makes a fresh runner for one point.
	New Factory
	// Caps are what the system measures beyond end-to-end latency and
	// accounting. The runner passes them to measure.Point.Finish, which
	// records exactly those figures; reports draw from them; the
	// conformance suite checks every point against them.
	Caps results.Capabilities
	// CostFamily is the design the cost model prices the system as
	// (reports/cost); a system with an unknown family is listed as
	// unpriced, never priced as another.
	CostFamily results.CostFamily
	// Order is where the system goes in tables, legends and summaries
	// (smaller first, at least 1); it also picks its fixed colour.
	Order int
}

var (
	regMu    sync.Mutex
	registry = map[string]Descriptor{}
)

// Register makes a system available under d.Name. It panics on a duplicate
// name or an incomplete descriptor: those are programming errors caught at
// start-up.
func Register(d Descriptor) {
	regMu.Lock()
	defer regMu.Unlock()
	switch {
	case d.Name == "" || d.New == nil:
		panic(fmt.Sprintf("runners: descriptor %q without a name or factory", d.Name))
	case d.Order < 1:
		panic("runners: descriptor " + d.Name + " without an order (at least 1)")
	case d.CostFamily == "":
		panic("runners: descriptor " + d.Name + " without a cost family")
	}
	if _, dup := registry[d.Name]; dup {
		panic("runners: duplicate registration of " + d.Name)
	}
	registry[d.Name] = d
}

// Lookup returns the descriptor registered under system.
func Lookup(system string) (Descriptor, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	d, ok := registry[system]
	return d, ok
}

// New returns a fresh runner for system. Every point it returns records
// the descriptor's cost family and order (its capabilities come from
// measure.Point.Finish), so results say what the system is without
// anyone downstream knowing its name.
func New(system string) (Runner, error) {
	regMu.Lock()
	defer regMu.Unlock()
	d, ok := registry[system]
	if !ok {
		return nil, fmt.Errorf("no runner registered for system %q (have %v)", system, systemsLocked())
	}
	return described{d.New(), d}, nil
}

// described stamps a point with its system's descriptor.
type described struct {
	Runner
	d Descriptor
}

// Run implements Runner.
func (r described) Run(ctx context.Context, pt *Point) (*results.Point, error) {
	p, err := r.Runner.Run(ctx, pt)
	if p != nil {
		Describe(p, r.d)
	}
	return p, err
}

// Describe records d's cost family and order on p. Capabilities are
// recorded by measure.Point.Finish with the figures they name, so a point
// that failed before Finish has none.
func Describe(p *results.Point, d Descriptor) {
	p.CostFamily, p.Order = d.CostFamily, d.Order
}

// Systems lists registered system names, sorted.
func Systems() []string {
	regMu.Lock()
	defer regMu.Unlock()
	return systemsLocked()
}

func systemsLocked() []string {
	var out []string
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
