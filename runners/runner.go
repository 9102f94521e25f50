// Package runners defines the contract every system runner implements and
// a registry of runners by system name. A new system is a new package under
// runners/ that calls Register in an init function; nothing else changes.
package runners

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// Runner runs one system for one point.
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
	start := load.Now() + int64(StartDelay)
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

// LineWriter serialises whole lines to an io.Writer from many goroutines.
type LineWriter struct {
	mu sync.Mutex
	w  io.Writer
	n  int64
}

// NewLineWriter wraps w.
func NewLineWriter(w io.Writer) *LineWriter { return &LineWriter{w: w} }

// WriteLine writes b plus a newline atomically with respect to other lines.
func (l *LineWriter) WriteLine(b []byte) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if _, err := l.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write line: %w", err)
	}
	return nil
}

// Lines is the number of lines written.
func (l *LineWriter) Lines() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Factory makes a fresh runner; every point gets a new one.
type Factory func() Runner

var (
	regMu    sync.Mutex
	registry = map[string]Factory{}
)

// Register makes a runner available under a system name. It panics on a
// duplicate name: that is a programming error caught at start-up.
func Register(system string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[system]; dup {
		panic("runners: duplicate registration of " + system)
	}
	registry[system] = f
}

// New returns a fresh runner for system.
func New(system string) (Runner, error) {
	regMu.Lock()
	defer regMu.Unlock()
	f, ok := registry[system]
	if !ok {
		return nil, fmt.Errorf("no runner registered for system %q (have %v)", system, systemsLocked())
	}
	return f(), nil
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
