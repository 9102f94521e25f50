// Package toyqueue is a toy fourth system, an in-memory queue per
// subscriber, kept in a test-only package to prove what docs/architecture.md
// says about adding a system: one package plus one registration, then the
// conformance suite (runners/runnertest) and a report (reports/html) work
// on it. It is not a benchmark of anything.
package toyqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/html"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/runnertest"
	"github.com/evbench/evbench/scenarios"
)

// System is the toy's system name.
const System = "toyqueue"

// Caps are what the toy measures: its enqueue as publish latency, the
// queues' length as consumer lag, and retries after an errors fault.
var Caps = results.Capabilities{Publish: true, ConsumerLag: true, Retries: true}

// The registrations. The toy is a design nobody pays for, so its cost
// family is one the cost model does not price: reports/cost lists it as
// unpriced rather than pricing it as something else.
func init() {
	runners.Register(runners.Descriptor{Name: System, New: func() runners.Runner { return &Runner{} },
		Caps: Caps, CostFamily: "in-memory", Order: 10})
	// and the scenario block systems.toyqueue (no settings; it measures
	// publish latency, so publish thresholds apply).
	scenarios.RegisterSystem(scenarios.SystemBlock{Name: System, Order: 100,
		Decode:   func(*scenarios.Object) scenarios.Block { return &Config{} },
		Measures: []string{scenarios.FamilyPublish}})
}

// Config is the toy's scenario block, systems.toyqueue: {} (no settings).
type Config struct{}

// CloneBlock implements scenarios.Block.
func (c *Config) CloneBlock() scenarios.Block { return &Config{} }

// queueLimit bounds each subscriber's queue: a full queue drops the event
// (it is then lost, and the point says so in a note).
const queueLimit = 1 << 16

// item is one queued event.
type item struct {
	id       uint64
	key      int
	intended int64
}

// Runner runs the toy: the generator appends every event to one bounded
// in-memory queue per subscriber; one consumer per subscriber takes them
// in order, honours the subscriber's faults (down and pause: it stops
// consuming until the fault ends; errors: the attempt fails and is
// retried after 10 ms) and simulates its processing time.
type Runner struct{}

// Run implements runners.Runner: the toy supplies start, send and stop,
// runners.RunPoint does the rest.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	return runners.RunPoint(ctx, pt, runners.Spec{System: System, Caps: Caps}, &point{})
}

// point is the toy's part of one point.
type point struct {
	mp       *measure.Point
	quit     chan struct{}
	queues   []chan item
	dropped  atomic.Int64
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start starts one queue and one consumer per subscriber.
func (p *point) Start(_ context.Context, r *runners.Run) error {
	p.mp = r.Measure
	p.quit = make(chan struct{})
	behaviours := r.Behaviours()
	p.queues = make([]chan item, len(behaviours))
	for i, b := range behaviours {
		p.queues[i] = make(chan item, queueLimit)
		p.wg.Add(1)
		go func(q chan item, b *behave.Subscriber, sub *measure.Subscriber) {
			defer p.wg.Done()
			for it := range q {
				if !consume(it, b, sub, p.quit) {
					return
				}
			}
		}(p.queues[i], b, r.Measure.Subs[i])
	}
	r.Defer(p.stop)
	r.Measure.SetGauges(measure.Gauges{
		QueueDepth: func() int64 { return 0 },
		Lag: func() int64 {
			var n int64
			for _, q := range p.queues {
				n += int64(len(q))
			}
			return n
		},
	})
	r.Note("toyqueue: an in-memory queue per subscriber inside the harness (a test system)")
	return nil
}

// Send enqueues the event for every subscriber.
func (p *point) Send(ev load.Event) {
	it := item{id: ev.ID, key: ev.Key, intended: ev.Intended}
	for _, q := range p.queues {
		select {
		case q <- it:
		default:
			p.dropped.Add(1)
		}
	}
	// Publish is the enqueue (capability Publish).
	p.mp.Published(ev.Intended, load.Now())
}

// Stop stops the consumers.
func (p *point) Stop(*runners.Run) { p.stop() }

// stop stops the consumers once (Stop, or the clean-up of a failed start).
func (p *point) stop() {
	p.stopOnce.Do(func() {
		close(p.quit)
		for _, q := range p.queues {
			close(q)
		}
		p.wg.Wait()
	})
}

// Finish notes the events full queues dropped.
func (p *point) Finish(_ *runners.Run, res *results.Point, err error) (*results.Point, error) {
	if err != nil {
		return res, fmt.Errorf("toyqueue runner: %w", err)
	}
	if n := p.dropped.Load(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("toyqueue: %d events dropped by full queues", n))
	}
	return res, nil
}

// consume processes one event; false when the runner is stopping.
func consume(it item, b *behave.Subscriber, sub *measure.Subscriber, quit <-chan struct{}) bool {
	for {
		now := load.Now()
		if f, ok := firstOf(b, now, scenarios.FaultDown, scenarios.FaultPause, scenarios.FaultHang); ok {
			wait := 10 * time.Millisecond
			if end := b.End(f); end > now {
				wait = min(time.Duration(end-now), wait)
			}
			if !behave.Sleep(wait, quit) {
				return false
			}
			continue
		}
		if f, ok := b.Find(now, scenarios.FaultErrors); ok && b.Chance(f.Probability) {
			sub.Error(measure.ErrOther)
			sub.Retry()
			if !behave.Sleep(10*time.Millisecond, quit) {
				return false
			}
			continue
		}
		d := b.Processing()
		if f, ok := b.Find(now, scenarios.FaultSlow); ok {
			d += f.Add.D()
		}
		if !behave.Sleep(d, quit) {
			return false
		}
		sub.Delivered(it.id, it.key, it.intended, load.Now())
		return true
	}
}

func firstOf(b *behave.Subscriber, now int64, kinds ...string) (scenarios.Fault, bool) {
	for _, k := range kinds {
		if f, ok := b.Find(now, k); ok {
			return f, true
		}
	}
	return scenarios.Fault{}, false
}

// TestToyQueue adds the toy system and runs the conformance suite and a
// report on it: what a new system needs to do to be benchmarked and shown.
func TestToyQueue(t *testing.T) {
	outs := runnertest.Run(t, System, runnertest.Options{
		Systems: System + ": {}",
	})
	if t.Failed() {
		return
	}
	doc := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Scenario: json.RawMessage(`{"name":"toyqueue"}`),
		Command: "go test ./runners/runnertest/toyqueue", Environment: engine.Environment(), Points: []results.Point{}}
	for _, o := range outs {
		p := *o.Point
		if p.Status == results.StatusComplete {
			doc.Points = append(doc.Points, p)
		}
	}
	doc.Environment.FinishedAt = time.Now().UTC()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Decode(b); err != nil {
		t.Fatalf("the toy's results do not validate: %v", err)
	}
	dir := t.TempDir()
	path, err := html.Generate(dir, doc)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), System) {
		t.Errorf("report.html never names the %s system", System)
	}
	hlogs, _ := filepath.Glob(filepath.Join(dir, "*.hlog"))
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	t.Logf("report: %s (%d bytes), %d .hlog, %d .png", path, len(page), len(hlogs), len(pngs))
	if len(hlogs) == 0 {
		t.Error("no .hlog written for the toy's points")
	}
	// The report draws from the capabilities the toy's descriptor gave its
	// points, not from its name: its queues' length as a consumer-lag
	// chart, and no attempt figures, which it does not have.
	for _, p := range doc.Points {
		if p.Capabilities == nil || *p.Capabilities != Caps || p.Order != 10 {
			t.Fatalf("point records capabilities %+v, order %d: want the descriptor's %+v, 10", p.Capabilities, p.Order, Caps)
		}
	}
	charts, err := plot.Extract(doc)
	if err != nil {
		t.Fatal(err)
	}
	drawn := map[string]bool{}
	for _, c := range charts {
		for _, s := range c.Series {
			if s.System == System {
				drawn[c.Name] = true
			}
		}
	}
	if !drawn["consumer-lag"] {
		t.Errorf("no consumer-lag chart of the toy (capability ConsumerLag); drawn: %v", drawn)
	}
	if drawn["webhook-attempts"] || drawn["webhook-retry-queue"] {
		t.Errorf("attempt or retry-queue charts drawn for the toy, which has neither capability: %v", drawn)
	}
	if strings.Contains(string(page), "Attempts per delivery") {
		t.Error("report.html has an attempts-per-delivery column for a system without attempts")
	}
}

// TestToyQueueFromScenario runs the toy from a scenario file's
// systems.toyqueue block through engine.Run, as `evbench run` does: the
// loader decodes the block through the registry, the engine runs every
// enabled registered system, and results.json echoes the block.
func TestToyQueueFromScenario(t *testing.T) {
	const yaml = `name: toy
load: {rate: 200/s, duration: 1s, warmup: 0s, drain: 2s}
subscribers: [{name: a}, {name: b}]
systems: {toyqueue: {}}
thresholds: ["publish.p99 < 1s"]
`
	sc, err := scenarios.LoadBytes("toy.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Systems.Names(); len(got) != 1 || got[0] != System {
		t.Fatalf("enabled systems %v, want [%s]", got, System)
	}
	res, err := engine.Run(context.Background(), sc, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != results.StatusComplete || len(res.Points) != 1 {
		t.Fatalf("status %s with %d points, want complete with 1", res.Status, len(res.Points))
	}
	p := res.Points[0]
	if p.System != System || p.Status != results.StatusComplete {
		t.Fatalf("point system %q status %q", p.System, p.Status)
	}
	if len(p.Subscribers) != 2 {
		t.Fatalf("%d subscribers, want 2", len(p.Subscribers))
	}
	for _, s := range p.Subscribers {
		a := s.Accounting
		if a.Sent != 200 || a.Delivered != a.Sent || a.Lost != 0 {
			t.Errorf("%s: sent %d delivered %d lost %d, want 200 sent, all delivered", s.Name, a.Sent, a.Delivered, a.Lost)
		}
	}
	if len(p.Thresholds) != 1 || !p.Thresholds[0].Pass {
		t.Errorf("thresholds %+v, want publish.p99 < 1s evaluated and passing", p.Thresholds)
	}
	if !strings.Contains(string(res.Scenario), `"systems": {
    "toyqueue": {}
  }`) {
		t.Errorf("results' scenario does not echo systems.toyqueue:\n%s", res.Scenario)
	}
}
