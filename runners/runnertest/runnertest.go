// Package runnertest is the conformance suite every registered system runs
// (issue 8 item 4): the properties a user relies on whatever the system -
// exact accounting, warm-up excluded, a prompt and balanced Ctrl-C, recovery
// from subscriber faults, dead letters where the system has them, and
// results whose contents match what the system can measure. A system's
// package calls Run from one small test file (see
// runners/webhook/conformance_test.go); a new system that passes it
// behaves like the others as far as every report and comparison can tell.
//
// Every point is short (a few hundred milliseconds of warm-up, 1-1.5 s
// measured) so the whole suite stays well under a minute per system on a
// loaded machine. Bounds are about the harness's promises (a drain after
// Ctrl-C of at most Point.InterruptDrain), with margins for a shared
// 2-core machine.
package runnertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// Options configure the suite for one system.
type Options struct {
	// Systems is the YAML of the scenario's `systems:` mapping for this
	// system, for example "kafka: {brokers: embedded, topic: {partitions: 4}}".
	// Every point is loaded through scenarios.LoadBytes, so the suite runs
	// on what the loader resolves, defaults included.
	Systems string
	// Skip maps a subtest name (for example "interrupt/drain") to the
	// reason it is skipped for this system: a known defect and the branch
	// that fixes it. The check itself is never weakened.
	Skip map[string]string
	// Brokers is passed to the runner as Point.Brokers ("" keeps the
	// scenario's).
	Brokers string
}

// InterruptDrain is the drain bound the suite gives every point after an
// interruption (Point.InterruptDrain).
const InterruptDrain = time.Second

// exitSlack is how long a runner may take, beyond InterruptDrain, to stop
// its sender, subscribers and broker clients after Ctrl-C: generous for a
// loaded 2-core machine, and still far below the 30 s drain the
// interruption cases would otherwise wait.
const exitSlack = 4 * time.Second

// Outcome is one point the suite ran.
type Outcome struct {
	// Case is the subtest that ran it.
	Case  string
	Point *results.Point
	// DeadLetters are the point's dead-letter lines, decoded.
	DeadLetters []map[string]any
	// Elapsed is how long Run took.
	Elapsed time.Duration
}

// Run runs the conformance suite for system as subtests of t and returns
// every point it ran (for example to render a report from them).
func Run(t *testing.T, system string, opts Options) []Outcome {
	t.Helper()
	if _, err := runners.New(system); err != nil {
		t.Fatalf("conformance: %v", err)
	}
	d, _ := runners.Lookup(system)
	s := &suite{system: system, opts: opts, desc: d, caps: d.Caps}
	t0 := time.Now()
	for _, c := range []struct {
		name string
		f    func(t *testing.T)
	}{
		{"accounting", s.accounting},
		{"warmup", s.warmup},
		{"interrupt/warmup", s.interruptWarmup},
		{"interrupt/load", s.interruptLoad},
		{"interrupt/drain", s.interruptDrain},
		{"faults/down", func(t *testing.T) { s.fault(t, scenarios.FaultDown) }},
		{"faults/pause", func(t *testing.T) { s.fault(t, scenarios.FaultPause) }},
		{"faults/errors", func(t *testing.T) { s.fault(t, scenarios.FaultErrors) }},
		{"deadletters", s.deadLetters},
		{"capabilities", s.capabilities},
	} {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := opts.Skip[c.name]; ok {
				t.Skipf("%s: known defect: %s", system, why)
			}
			c.f(t)
		})
	}
	t.Logf("conformance %s: %d points in %v", system, len(s.outcomes), time.Since(t0).Round(10*time.Millisecond))
	return s.outcomes
}

type suite struct {
	system string
	opts   Options
	// desc is the system's registered descriptor; caps its capabilities,
	// which decide the cases that need one (dead letters, retries, lag).
	desc     runners.Descriptor
	caps     results.Capabilities
	mu       sync.Mutex
	outcomes []Outcome
}

// shape is one point's load and subscribers.
type shape struct {
	rate, warmup, duration, drain string
	// faultA is the fault list YAML of subscriber "a" ("" for none).
	faultA string
}

// scenario loads the point's scenario through the loader.
func (s *suite) scenario(t *testing.T, name string, sh shape) *scenarios.Scenario {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: conformance-%s-%s\n", s.system, strings.ReplaceAll(name, "/", "-"))
	fmt.Fprintf(&b, "load: {arrival: constant, rate: %s, warmup: %s, duration: %s, drain: %s}\n", sh.rate, sh.warmup, sh.duration, sh.drain)
	b.WriteString("event: {size: 256B, keys: 32, seed: 7}\n")
	b.WriteString("subscribers:\n  - name: a\n    processing: 1ms\n")
	if sh.faultA != "" {
		fmt.Fprintf(&b, "    faults: %s\n", sh.faultA)
	}
	b.WriteString("  - name: b\n    processing: 2ms\n")
	b.WriteString("systems:\n")
	for _, l := range strings.Split(strings.TrimSpace(s.opts.Systems), "\n") {
		b.WriteString("  " + l + "\n")
	}
	sc, err := scenarios.LoadBytes(name+".yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("conformance scenario:\n%s\n%v", b.String(), err)
	}
	return sc
}

// noCancel is run's cancelAt for a point that is not interrupted.
const noCancel = time.Duration(-1 << 62)

// run runs one point. Unless cancelAt is noCancel, it cancels the point's
// context (Ctrl-C) cancelAt after the start of the measured period
// (negative: during the warm-up), timed from the runner's Point.Begin so
// that set-up time (a real broker's topic and group joins) does not move
// it. It returns the outcome and, for an interrupted point, how long Run
// took after the cancellation.
func (s *suite) run(t *testing.T, sc *scenarios.Scenario, cancelAt time.Duration) (Outcome, time.Duration) {
	t.Helper()
	r, err := runners.New(s.system)
	if err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	lw := runners.NewLineWriter(&buf)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	var cmu sync.Mutex
	var timer *time.Timer
	onStart := func(mp *measure.Point) {
		if cancelAt == noCancel {
			return
		}
		d := time.Duration(mp.MeasuredStart() + int64(cancelAt) - load.Now())
		cmu.Lock()
		defer cmu.Unlock()
		timer = time.AfterFunc(max(d, 0), func() {
			cmu.Lock()
			cancelledAt = time.Now()
			cmu.Unlock()
			cancel()
		})
	}
	defer func() {
		cmu.Lock()
		if timer != nil {
			timer.Stop()
		}
		cmu.Unlock()
	}()
	t0 := time.Now()
	p, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{scenarios.ParamRate: sc.Load.Rate.PerSecond()},
		Brokers: s.opts.Brokers, DeadLetters: lw, OnStart: onStart, Logf: t.Logf, InterruptDrain: scenarios.Duration(InterruptDrain)})
	end := time.Now()
	if cerr := lw.Close(); cerr != nil {
		t.Errorf("dead-letter writer: %v", cerr)
	}
	if err != nil {
		if p != nil {
			t.Logf("point: status %s, error %s", p.Status, p.Error)
		}
		t.Fatalf("%s run: %v", s.system, err)
	}
	if p == nil {
		t.Fatalf("%s run returned no point", s.system)
	}
	out := Outcome{Case: t.Name(), Point: p, Elapsed: end.Sub(t0)}
	sc2 := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	sc2.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc2.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc2.Bytes()))
		dec.UseNumber() // ids are 64-bit
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc2.Text(), err)
		}
		out.DeadLetters = append(out.DeadLetters, m)
	}
	if int64(len(out.DeadLetters)) != lw.Lines() || lw.Dropped() != 0 {
		t.Errorf("dead letters: %d lines parsed, %d written, %d dropped", len(out.DeadLetters), lw.Lines(), lw.Dropped())
	}
	s.mu.Lock()
	s.outcomes = append(s.outcomes, out)
	s.mu.Unlock()
	for _, sub := range p.Subscribers {
		t.Logf("%s %s: acc %+v errors %+v e2e p50 %dus max %dus", s.system, sub.Name, sub.Accounting, sub.Errors, sub.E2E.LatencyUS.P50, sub.E2E.LatencyUS.Max)
	}
	s.common(t, sc, out)
	var after time.Duration
	cmu.Lock()
	if !cancelledAt.IsZero() {
		after = end.Sub(cancelledAt)
	}
	cmu.Unlock()
	return out, after
}

// syncBuffer is a bytes.Buffer safe for the LineWriter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// common checks what must hold for every point of every system: the
// system name, one entry per subscriber, the accounting identity, the e2e
// histogram and the per-second series agreeing with delivered, dead
// letters agreeing with dead_lettered, the capabilities, and the document
// passing results' own validation.
func (s *suite) common(t *testing.T, sc *scenarios.Scenario, o Outcome) {
	t.Helper()
	p := o.Point
	if p.System != s.system {
		t.Errorf("point system %q, want %q", p.System, s.system)
	}
	if len(p.Subscribers) != len(sc.Subscribers) {
		t.Fatalf("%d subscribers in the point, %d in the scenario", len(p.Subscribers), len(sc.Subscribers))
	}
	var delivered, dead int64
	for i, sub := range p.Subscribers {
		if sub.Name != sc.Subscribers[i].Name {
			t.Errorf("subscriber %d is %q, want %q", i, sub.Name, sc.Subscribers[i].Name)
		}
		a := sub.Accounting
		if err := a.Check(); err != nil {
			t.Errorf("%s: %v", sub.Name, err)
		}
		if i > 0 && a.Sent != p.Subscribers[0].Accounting.Sent {
			t.Errorf("%s: sent %d, %s: sent %d: every subscriber gets every event", sub.Name, a.Sent, p.Subscribers[0].Name, p.Subscribers[0].Accounting.Sent)
		}
		if n := sub.E2E.LatencyUS.Count; n != a.Delivered {
			t.Errorf("%s: e2e histogram holds %d values for %d delivered", sub.Name, n, a.Delivered)
		}
		if a.Lost < a.DeadLettered-a.DeliveredAfterDeadLetter {
			t.Errorf("%s: lost %d < dead-lettered %d - delivered after dead letter %d", sub.Name, a.Lost, a.DeadLettered, a.DeliveredAfterDeadLetter)
		}
		delivered += a.Delivered
		dead += a.DeadLettered
	}
	var series int64
	for _, smp := range p.Timeseries {
		series += smp.Delivered
		if smp.TS < 0 {
			t.Errorf("sample at t=%vs: the series starts at the measured period", smp.TS)
		}
	}
	if series != delivered {
		t.Errorf("per-second series delivered %d, subscribers delivered %d", series, delivered)
	}
	if int64(len(o.DeadLetters)) != dead {
		t.Errorf("%d dead-letter lines for %d dead-lettered events", len(o.DeadLetters), dead)
	}
	s.checkCaps(t, p)
	doc := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Scenario: json.RawMessage("{}"),
		Environment: engine.Environment(), Points: []results.Point{*p}}
	if p.Status != results.StatusComplete {
		doc.Status = p.Status
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Decode(b); err != nil {
		t.Errorf("the point does not pass results validation: %v", err)
	}
}

// checkCaps checks that the point records its system's descriptor
// (capabilities, cost family, order), and that its contents match the
// recorded capabilities both ways: a figure present without the capability
// is as wrong as a capability without its figure.
func (s *suite) checkCaps(t *testing.T, p *results.Point) {
	t.Helper()
	if p.Capabilities == nil {
		t.Fatalf("the point records no capabilities (measure.Point.Finish records them)")
	}
	if *p.Capabilities != s.desc.Caps {
		t.Errorf("recorded capabilities %+v, the descriptor's %+v", *p.Capabilities, s.desc.Caps)
	}
	if p.CostFamily != s.desc.CostFamily || p.Order != s.desc.Order {
		t.Errorf("recorded cost family %q and order %d, the descriptor's %q and %d", p.CostFamily, p.Order, s.desc.CostFamily, s.desc.Order)
	}
	c := *p.Capabilities
	if (p.Publish != nil) != c.Publish {
		t.Errorf("publish latency present %v, capability %v", p.Publish != nil, c.Publish)
	}
	if (p.PublishErrors != nil) != c.Publish {
		t.Errorf("publish errors present %v, capability publish %v", p.PublishErrors != nil, c.Publish)
	}
	if (p.Ingress != nil) != c.Ingress {
		t.Errorf("ingress latency present %v, capability %v", p.Ingress != nil, c.Ingress)
	}
	for _, sub := range p.Subscribers {
		if (sub.Attempt != nil) != c.Attempts || (sub.AttemptsPerDelivery != nil) != c.Attempts {
			t.Errorf("%s: per-attempt latency present %v, attempts per delivery present %v, capability %v",
				sub.Name, sub.Attempt != nil, sub.AttemptsPerDelivery != nil, c.Attempts)
		}
		if !c.Retries && sub.Accounting.Retries != 0 {
			t.Errorf("%s: %d retries without the retries capability", sub.Name, sub.Accounting.Retries)
		}
		if c.PerKeyOrder && sub.Accounting.OutOfOrder != 0 {
			t.Errorf("%s: %d out of order with the per-key order capability", sub.Name, sub.Accounting.OutOfOrder)
		}
		if !c.DeadLetters && sub.Accounting.DeadLettered != 0 {
			t.Errorf("%s: %d dead-lettered without the dead-letters capability", sub.Name, sub.Accounting.DeadLettered)
		}
	}
	if broker := p.BrokerKind != ""; broker != c.Broker {
		t.Errorf("broker kind recorded %v (%q), capability %v", broker, p.BrokerKind, c.Broker)
	}
	if !c.ConsumerLag {
		for _, smp := range p.Timeseries {
			if smp.Lag != 0 {
				t.Errorf("sample t=%vs has consumer lag %d without the capability", smp.TS, smp.Lag)
				break
			}
		}
	}
	if !c.RetryQueue {
		for _, smp := range p.Timeseries {
			if smp.Retries != 0 {
				t.Errorf("sample t=%vs has %d retries waiting without the retry-queue capability", smp.TS, smp.Retries)
				break
			}
		}
	}
}

// expected is the number of measured events the schedule offers.
func expected(t *testing.T, sc *scenarios.Scenario) int64 {
	t.Helper()
	sch, err := load.NewSchedule(sc.Load, sc.Event.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return int64(sch.Expected(sch.Total()) - sch.Expected(sch.Warmup()) + 0.5)
}

// within reports whether got is want give or take one event (the schedule's
// rounding at either end of the measured period).
func within(got, want int64) bool { return got >= want-1 && got <= want+1 }

// accounting: a fault-free point delivers every event to every subscriber
// exactly once, and every count adds up.
func (s *suite) accounting(t *testing.T) {
	sc := s.scenario(t, "accounting", shape{rate: "200/s", warmup: "300ms", duration: "1500ms", drain: "10s"})
	o, _ := s.run(t, sc, noCancel)
	p := o.Point
	if p.Status != results.StatusComplete {
		t.Fatalf("status %s (%s), want complete", p.Status, p.Error)
	}
	want := expected(t, sc)
	for _, sub := range p.Subscribers {
		a := sub.Accounting
		if !within(a.Sent, want) {
			t.Errorf("%s: sent %d, the schedule offers %d", sub.Name, a.Sent, want)
		}
		if a.Delivered != a.Sent || a.Lost != 0 || a.Duplicates != 0 || a.DeadLettered != 0 {
			t.Errorf("%s: %+v: a fault-free point delivers every event once", sub.Name, a)
		}
	}
	if p.Publish != nil && p.Publish.LatencyUS.Count != p.Subscribers[0].Accounting.Sent {
		t.Errorf("publish latency holds %d values for %d events sent", p.Publish.LatencyUS.Count, p.Subscribers[0].Accounting.Sent)
	}
	if p.Ingress != nil && p.Ingress.LatencyUS.Count != p.Subscribers[0].Accounting.Sent {
		t.Errorf("ingress latency holds %d values for %d events sent", p.Ingress.LatencyUS.Count, p.Subscribers[0].Accounting.Sent)
	}
}

// warmup: a point whose warm-up is as long as its measured period counts
// only the measured events; warm-up ids never reach the ledger (sent,
// delivered, the latency histograms or the series).
func (s *suite) warmup(t *testing.T) {
	sc := s.scenario(t, "warmup", shape{rate: "200/s", warmup: "1s", duration: "1s", drain: "10s"})
	o, _ := s.run(t, sc, noCancel)
	p := o.Point
	if p.Status != results.StatusComplete {
		t.Fatalf("status %s (%s), want complete", p.Status, p.Error)
	}
	want := expected(t, sc)
	for _, sub := range p.Subscribers {
		a := sub.Accounting
		if !within(a.Sent, want) || a.Delivered > a.Sent {
			t.Errorf("%s: sent %d, delivered %d; the measured period offers %d (warm-up as many again)", sub.Name, a.Sent, a.Delivered, want)
		}
		if a.Lost != 0 {
			t.Errorf("%s: lost %d in a fault-free point", sub.Name, a.Lost)
		}
	}
	if p.Publish != nil && p.Publish.LatencyUS.Count > p.Subscribers[0].Accounting.Sent {
		t.Errorf("publish latency holds %d values for %d measured events: warm-up publishes are counted", p.Publish.LatencyUS.Count, p.Subscribers[0].Accounting.Sent)
	}
	if d := p.DurationS; d < 0.9 || d > 1.1 {
		t.Errorf("duration_s %v, want the 1 s measured period", d)
	}
}

// interruptWarmup: Ctrl-C during the warm-up ends the point promptly,
// marked interrupted, with nothing of the measured period offered, sent or
// achieved (issue 9 item 12), and the point still shows what the system
// measures.
func (s *suite) interruptWarmup(t *testing.T) {
	sc := s.scenario(t, "interrupt-warmup", shape{rate: "200/s", warmup: "2s", duration: "1s", drain: "30s"})
	o, after := s.run(t, sc, -1500*time.Millisecond)
	p := o.Point
	t.Logf("returned %v after the interruption", after.Round(time.Millisecond))
	if after == 0 {
		t.Fatalf("the point returned after %v, before the interruption", o.Elapsed)
	}
	if p.Status != results.StatusInterrupted {
		t.Errorf("status %s, want interrupted", p.Status)
	}
	if after > InterruptDrain+exitSlack {
		t.Errorf("returned %v after Ctrl-C in the warm-up; the drain after an interruption is bounded by %v", after, InterruptDrain)
	}
	if p.OfferedPerS != 0 || p.AchievedPerS != 0 || p.DurationS != 0 || p.Overloaded {
		t.Errorf("offered %v/s, achieved %v/s, duration %vs, overloaded %v: nothing of the measured period ran", p.OfferedPerS, p.AchievedPerS, p.DurationS, p.Overloaded)
	}
	for _, sub := range p.Subscribers {
		if a := sub.Accounting; a.Sent != 0 || a.Delivered != 0 {
			t.Errorf("%s: %+v: warm-up events are not counted", sub.Name, a)
		}
	}
}

// interruptLoad: Ctrl-C half a second into a 3 s measured period stops the
// load, drains at most InterruptDrain and returns a balanced point marked
// interrupted.
func (s *suite) interruptLoad(t *testing.T) {
	sc := s.scenario(t, "interrupt-load", shape{rate: "200/s", warmup: "200ms", duration: "3s", drain: "30s"})
	o, after := s.run(t, sc, 500*time.Millisecond)
	p := o.Point
	t.Logf("returned %v after the interruption", after.Round(time.Millisecond))
	if p.Status != results.StatusInterrupted {
		t.Errorf("status %s, want interrupted", p.Status)
	}
	if after > InterruptDrain+exitSlack {
		t.Errorf("returned %v after Ctrl-C; the drain after an interruption is bounded by %v", after, InterruptDrain)
	}
	full := expected(t, sc)
	for _, sub := range p.Subscribers {
		if a := sub.Accounting; a.Sent <= 0 || a.Sent >= full {
			t.Errorf("%s: sent %d: want some but fewer than the %d of the full schedule", sub.Name, a.Sent, full)
		}
	}
	if p.DurationS >= 3 {
		t.Errorf("duration_s %v: an interrupted point reports the period it ran", p.DurationS)
	}
}

// interruptDrain: Ctrl-C while the drain waits for a subscriber paused for
// the whole run ends the drain within InterruptDrain, not the scenario's
// 30 s drain.
func (s *suite) interruptDrain(t *testing.T) {
	sc := s.scenario(t, "interrupt-drain", shape{rate: "100/s", warmup: "200ms", duration: "1s", drain: "30s",
		faultA: "[{kind: pause, at: 0s, for: 60s}]"})
	// 1 s after the schedule ends the runner is draining (or, on a badly
	// overloaded machine, still emitting: the bound is the same).
	o, after := s.run(t, sc, 2*time.Second)
	p := o.Point
	t.Logf("returned %v after the interruption", after.Round(time.Millisecond))
	if after == 0 {
		t.Fatalf("the point returned after %v, before the interruption: the paused subscriber did not hold the drain", o.Elapsed)
	}
	if p.Status != results.StatusInterrupted {
		t.Errorf("status %s, want interrupted", p.Status)
	}
	if after > InterruptDrain+exitSlack {
		t.Errorf("returned %v after Ctrl-C during the drain; the drain after an interruption is bounded by %v", after, InterruptDrain)
	}
	if a := p.Subscribers[0].Accounting; a.Delivered == a.Sent {
		t.Errorf("paused subscriber: %+v: a pause for the whole run must leave events undelivered", a)
	}
}

// fault: subscriber "a" suffers kind for 500 ms of a 1.5 s measured
// period; once it is over, retries or offsets recover every event, and
// the fault shows in the results.
func (s *suite) fault(t *testing.T, kind string) {
	sc := s.scenario(t, "fault-"+kind, shape{rate: "200/s", warmup: "200ms", duration: "1500ms", drain: "15s",
		faultA: fmt.Sprintf("[{kind: %s, at: 300ms, for: 500ms}]", kind)})
	o, _ := s.run(t, sc, noCancel)
	p := o.Point
	if p.Status != results.StatusComplete {
		t.Fatalf("status %s (%s), want complete", p.Status, p.Error)
	}
	for _, sub := range p.Subscribers {
		if a := sub.Accounting; a.Lost != 0 || a.Delivered != a.Sent {
			t.Errorf("%s: %+v: the fault ends long before the drain, so nothing may be lost", sub.Name, a)
		}
	}
	a, b := p.Subscribers[0], p.Subscribers[1]
	switch kind {
	case scenarios.FaultErrors:
		if s.caps.Retries && a.Accounting.Retries == 0 {
			t.Errorf("a: no retries during 500 ms of errors")
		}
		if a.Errors.Total() == 0 {
			t.Errorf("a: errors %+v: 500 ms of errors are not counted", a.Errors)
		}
	default:
		// Events sent at the start of the window wait most of it.
		if m := a.E2E.LatencyUS.Max; m < 250_000 {
			t.Errorf("a: e2e max %dus: a 500 ms %s must show", m, kind)
		}
		if kind == scenarios.FaultPause && s.caps.ConsumerLag && maxLag(p) == 0 {
			t.Errorf("no consumer lag recorded while a was paused for 500 ms")
		}
	}
	if b.Errors.Total() != 0 || b.Accounting.Retries != 0 {
		t.Errorf("b: errors %+v, retries %d: the fault was on a only", b.Errors, b.Accounting.Retries)
	}
}

func maxLag(p *results.Point) int64 {
	var m int64
	for _, smp := range p.Timeseries {
		m = max(m, smp.Lag)
	}
	return m
}

// deadLetters: a subscriber that answers errors for the whole run has every
// event dead-lettered once its retries are spent, one dead-letter line
// each, and none delivered; the healthy subscriber loses nothing.
func (s *suite) deadLetters(t *testing.T) {
	if !s.caps.DeadLetters {
		t.Skipf("%s has no dead letters: every other case checks dead_lettered stays 0", s.system)
	}
	sc := s.scenario(t, "deadletters", shape{rate: "100/s", warmup: "200ms", duration: "1s", drain: "15s",
		faultA: "[{kind: errors, at: 0s, status: 500}]"})
	o, _ := s.run(t, sc, noCancel)
	p := o.Point
	if p.Status != results.StatusComplete {
		t.Fatalf("status %s (%s), want complete", p.Status, p.Error)
	}
	a, b := p.Subscribers[0].Accounting, p.Subscribers[1].Accounting
	if a.DeadLettered != a.Sent || a.Delivered != 0 || a.Lost != a.Sent {
		t.Errorf("a: %+v: every event dead-lettered and lost", a)
	}
	if b.DeadLettered != 0 || b.Lost != 0 {
		t.Errorf("b: %+v: the healthy subscriber loses nothing", b)
	}
	seen := map[string]bool{}
	for _, dl := range o.DeadLetters {
		key := fmt.Sprint(dl["subscriber"], "/", dl["id"])
		if dl["subscriber"] != "a" || seen[key] {
			t.Errorf("dead letter %v: want one per event of a", dl)
			break
		}
		seen[key] = true
		// Warm-up events are never dead-lettered for the measured ledger.
		if n, ok := dl["intended_unix_ns"].(json.Number); ok {
			if v, err := n.Int64(); err == nil && v < p.StartedAt.UnixNano() {
				t.Errorf("dead letter %v: intended before the measured period started (%v): a warm-up event", dl, p.StartedAt)
				break
			}
		}
	}
	if int64(len(seen)) != a.DeadLettered {
		t.Errorf("%d distinct dead-lettered events in the lines, dead_lettered %d", len(seen), a.DeadLettered)
	}
}

// capabilities: across every point the suite ran, the capabilities that
// only some points can show did show: retries (the errors fault), consumer
// lag (the pause fault), publish and ingress latency with values.
func (s *suite) capabilities(t *testing.T) {
	s.mu.Lock()
	outs := append([]Outcome(nil), s.outcomes...)
	s.mu.Unlock()
	if len(outs) == 0 {
		t.Skip("no points ran")
	}
	c := s.caps
	var retries, lag, publish, ingress, dead int64
	for _, o := range outs {
		p := o.Point
		lag = max(lag, maxLag(p))
		if p.Publish != nil {
			publish += p.Publish.LatencyUS.Count
		}
		if p.Ingress != nil {
			ingress += p.Ingress.LatencyUS.Count
		}
		for _, sub := range p.Subscribers {
			retries += sub.Accounting.Retries
			dead += sub.Accounting.DeadLettered
		}
	}
	t.Logf("%d points: retries %d, max lag %d, publish values %d, ingress values %d, dead-lettered %d", len(outs), retries, lag, publish, ingress, dead)
	if c.Retries && retries == 0 {
		t.Error("retries capability, but no point recorded a retry")
	}
	if c.ConsumerLag && lag == 0 {
		t.Error("consumer-lag capability, but no sample recorded lag")
	}
	if c.Publish && publish == 0 {
		t.Error("publish capability, but no publish latency was recorded")
	}
	if c.Ingress && ingress == 0 {
		t.Error("ingress capability, but no ingress latency was recorded")
	}
	if c.DeadLetters && dead == 0 {
		t.Error("dead-letters capability, but nothing was dead-lettered")
	}
}
