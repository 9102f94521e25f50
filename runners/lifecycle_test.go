package runners

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// fakeSystem delivers every event to every subscriber at once, unless
// hold is set (then it delivers nothing and the drain waits), and records
// what RunPoint asked of it.
type fakeSystem struct {
	hold     bool
	settled  func() bool // DrainUntil's condition, when set
	startErr error

	mp            *measure.Point
	mu            sync.Mutex
	calls         []string
	measuredStart atomic.Int64
	sent          atomic.Int64
}

func (f *fakeSystem) call(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeSystem) Start(_ context.Context, r *Run) error {
	f.call("start")
	f.mp = r.Measure
	r.Defer(func() { f.call("cleanup 1") })
	r.Behaviours()
	r.AtBegin(func(ms int64) { f.measuredStart.Store(ms) })
	r.Defer(func() { f.call("cleanup 2") })
	if f.settled != nil {
		r.DrainUntil(f.settled)
	}
	r.Note("fake: a test system")
	return f.startErr
}

func (f *fakeSystem) Send(ev load.Event) {
	f.sent.Add(1)
	f.mp.Published(ev.Intended, load.Now())
	if f.hold {
		return
	}
	for _, s := range f.mp.Subs {
		s.Delivered(ev.ID, ev.Key, ev.Intended, load.Now())
	}
}

func (f *fakeSystem) Stop(*Run) { f.call("stop") }

func (f *fakeSystem) Finish(r *Run, res *results.Point, err error) (*results.Point, error) {
	f.call("finish")
	return res, err
}

// fakeBlock is the scenario block of the fake system (systems.fakesys: {},
// no settings), registered once for this test binary.
type fakeBlock struct{}

func (fakeBlock) CloneBlock() scenarios.Block { return fakeBlock{} }

func init() {
	scenarios.RegisterSystem(scenarios.SystemBlock{Name: "fakesys", Order: 1000,
		Decode: func(*scenarios.Object) scenarios.Block { return fakeBlock{} }})
}

func fakeScenario(t *testing.T, drain string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.LoadBytes("fake.yaml", []byte(`name: fake
load: {arrival: constant, rate: 100/s, warmup: 100ms, duration: 1s, drain: `+drain+`}
event: {size: 64B, keys: 8, seed: 1}
subscribers:
  - name: a
systems:
  fakesys: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runFake runs one point of f, cancelling ctx cancelAfter after the
// measured start when cancelAfter > 0. It returns the point and how long
// RunPoint took after the cancellation.
func runFake(t *testing.T, f *fakeSystem, sc *scenarios.Scenario, cancelAfter time.Duration) (*results.Point, time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled atomic.Int64
	onStart := func(mp *measure.Point) {
		if cancelAfter <= 0 {
			return
		}
		d := time.Duration(mp.MeasuredStart() + int64(cancelAfter) - load.Now())
		time.AfterFunc(max(d, 0), func() { cancelled.Store(time.Now().UnixNano()); cancel() })
	}
	p, err := RunPoint(ctx, &Point{Scenario: sc, Params: map[string]float64{}, OnStart: onStart, InterruptDrain: scenarios.Duration(300 * time.Millisecond)},
		Spec{System: "fake", Caps: results.Capabilities{Publish: true}}, f)
	var after time.Duration
	if c := cancelled.Load(); c != 0 {
		after = time.Since(time.Unix(0, c))
	}
	return p, after, err
}

// TestRunPointLifecycle: a system that delivers everything gets a complete
// point, its hooks in order (start, AtBegin with the measured start, stop,
// finish, clean-ups last added first), its note, and every measured event
// counted.
func TestRunPointLifecycle(t *testing.T) {
	f := &fakeSystem{}
	p, _, err := runFake(t, f, fakeScenario(t, "5s"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != results.StatusComplete {
		t.Errorf("status %s, want complete", p.Status)
	}
	want := []string{"start", "stop", "finish", "cleanup 2", "cleanup 1"}
	if strings.Join(f.calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	if f.measuredStart.Load() == 0 || f.measuredStart.Load() != f.mp.MeasuredStart() {
		t.Errorf("AtBegin got measured start %d, point's %d", f.measuredStart.Load(), f.mp.MeasuredStart())
	}
	a := p.Subscribers[0].Accounting
	if a.Sent != 100 || a.Delivered != a.Sent || a.Lost != 0 {
		t.Errorf("accounting %+v: want 100 measured events (100/s for 1s, warm-up excluded), all delivered", a)
	}
	if f.sent.Load() != 110 {
		t.Errorf("the system was sent %d events, want 110 (10 warm-up + 100 measured)", f.sent.Load())
	}
	found := false
	for _, n := range p.Notes {
		found = found || n == "fake: a test system"
	}
	if !found {
		t.Errorf("notes %q: the system's note is missing", p.Notes)
	}
}

// TestRunPointInterruptDrain: Ctrl-C while the drain waits for events
// that never arrive ends the drain within Point.InterruptDrain, not the
// scenario's 60 s drain; the point is interrupted and balanced. With the
// system's own drain condition (DrainUntil, as the kafka producers-only
// point waits for acks) the bound is the same: before the lifecycle, that
// point's drain ignored a Ctrl-C that came during it.
func TestRunPointInterruptDrain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		settled func() bool
	}{
		{"subscribers", nil},
		{"DrainUntil", func() bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSystem{hold: tc.settled == nil, settled: tc.settled}
			t0 := time.Now()
			p, after, err := runFake(t, f, fakeScenario(t, "60s"), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("returned %v after Ctrl-C, %v in all", after.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
			if after == 0 {
				t.Fatal("the point returned before the interruption: the drain did not wait")
			}
			if p.Status != results.StatusInterrupted {
				t.Errorf("status %s, want interrupted", p.Status)
			}
			// 300 ms of interrupt drain plus a margin for a loaded machine,
			// far below the 60 s drain.
			if after > 300*time.Millisecond+3*time.Second {
				t.Errorf("returned %v after Ctrl-C during the drain; the bound is 300ms", after)
			}
			a := p.Subscribers[0].Accounting
			if a.Sent != 100 || a.Delivered+a.Lost != a.Sent {
				t.Errorf("accounting %+v: the ledger does not balance", a)
			}
		})
	}
}

// TestRunPointInterruptLoad: Ctrl-C during the load stops it, the drain
// is bounded, the point is interrupted.
func TestRunPointInterruptLoad(t *testing.T) {
	f := &fakeSystem{hold: true}
	sc := fakeScenario(t, "60s")
	sc.Load.Duration = scenarios.Duration(30 * time.Second)
	p, after, err := runFake(t, f, sc, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != results.StatusInterrupted || after > 300*time.Millisecond+3*time.Second {
		t.Errorf("status %s after %v; want interrupted within the 300ms interrupt drain", p.Status, after)
	}
}

// TestRunPointStartError: a failed start returns its error and no point,
// and the clean-ups it registered still run.
func TestRunPointStartError(t *testing.T) {
	boom := errors.New("boom")
	f := &fakeSystem{startErr: boom}
	p, _, err := runFake(t, f, fakeScenario(t, "1s"), 0)
	if !errors.Is(err, boom) || p != nil {
		t.Fatalf("point %v, error %v; want no point and boom", p, err)
	}
	want := []string{"start", "cleanup 2", "cleanup 1"}
	if strings.Join(f.calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
}
