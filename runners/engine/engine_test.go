package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
)

// fakeRunner is a synthetic system: it delivers everything and reports an
// e2e p99 that grows with the offered rate, saturating at capacity (events/s)
// per subscriber count; it fails points whose rate is in failAt, and the
// next stalls[rate] points at a rate report a stall's p99 (2 s) whatever
// the capacity.
type fakeRunner struct {
	system   string
	capacity float64
	failAt   map[float64]bool
	stalls   map[float64]int
	mu       *sync.Mutex
	calls    *[]map[string]float64
}

func (f *fakeRunner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	f.mu.Lock()
	*f.calls = append(*f.calls, pt.Params)
	f.mu.Unlock()
	rate := pt.Scenario.Load.Rate.PerSecond()
	if f.failAt[rate] {
		return nil, errors.New("synthetic failure")
	}
	n := len(pt.Scenario.Subscribers)
	cap := f.capacity / float64(n)
	p99 := int64(10_000) // 10 ms below capacity
	f.mu.Lock()
	stalled := f.stalls[rate] > 0
	if stalled {
		f.stalls[rate]--
	}
	f.mu.Unlock()
	if rate > cap || stalled {
		p99 = 2_000_000 // 2 s above it
	}
	sent := int64(rate * pt.Scenario.Load.Duration.D().Seconds())
	p := &results.Point{System: f.system, Params: pt.Params, Status: results.StatusComplete,
		OfferedPerS: rate, AchievedPerS: rate}
	if f.system != "webhook" {
		// The kind's text does not say "embedded": the engine must take
		// the typed flag, not parse the label.
		p.BrokerKind, p.BrokerEmbedded = "in-memory broker (test)", true
	}
	for _, s := range pt.Scenario.Subscribers {
		p.Subscribers = append(p.Subscribers, results.Subscriber{Name: s.Name,
			E2E:        results.Latency{LatencyUS: results.Summary{Count: sent, P50: p99 / 2, P99: p99, Max: p99}},
			Accounting: results.Accounting{Sent: sent, Delivered: sent}})
	}
	return p, nil
}

var (
	registerOnce sync.Once
	fakeMu       sync.Mutex
	fakeCalls    []map[string]float64
	fakes        = map[string]*fakeRunner{}
)

// register installs fake webhook and kafka runners (this test binary does
// not import the real ones).
func register(t *testing.T) {
	registerOnce.Do(func() {
		for i, sys := range []string{"webhook", "kafka"} {
			capacity := map[string]float64{"webhook": 3000, "kafka": 6000}[sys]
			f := &fakeRunner{system: sys, capacity: capacity, failAt: map[float64]bool{}, stalls: map[float64]int{}, mu: &fakeMu, calls: &fakeCalls}
			fakes[sys] = f
			runners.Register(runners.Descriptor{Name: sys, New: func() runners.Runner { return f },
				CostFamily: results.FamilyPush, Order: i + 1})
		}
	})
	fakeMu.Lock()
	fakeCalls = nil
	for _, f := range fakes {
		f.failAt = map[float64]bool{}
		f.stalls = map[float64]int{}
	}
	fakeMu.Unlock()
}

const sweepYAML = `name: t
load: {arrival: constant, rate: 100/s, duration: 1s, warmup: 0s, drain: 1s}
subscribers:
  - name: w
systems: {webhook: {}, kafka: {}}
thresholds: ["e2e.p99 < 100ms", "lost == 0", "publish.p99 < 1s"]
sweep:
  rate: [500/s, 1000/s, 2000/s]
  subscribers: [1, 3]
`

func TestRunSweep(t *testing.T) {
	register(t)
	sc, err := scenarios.LoadBytes("t.yaml", []byte(sweepYAML))
	if err != nil {
		t.Fatal(err)
	}
	fakes["kafka"].failAt[1000] = true
	var seen []string
	res, err := Run(context.Background(), sc, Options{OnPoint: func(i, n int, sys string, _ map[string]float64) {
		seen = append(seen, sys)
		if n != 12 {
			t.Errorf("point %d of %d, want 12 in all", i, n)
		}
	}})
	// A failed point is recorded and the sweep goes on: the run reports
	// the failure, but every point is there.
	if err == nil || res.Status != results.StatusFailed {
		t.Fatalf("status %q err %v, want failed with an error", res.Status, err)
	}
	if len(res.Points) != 12 || len(seen) != 12 {
		t.Fatalf("%d points (%d announced), want 3 rates x 2 counts x 2 systems = 12", len(res.Points), len(seen))
	}
	failed := 0
	for _, p := range res.Points {
		if p.Status == results.StatusFailed {
			failed++
			if p.System != "kafka" || p.Params["rate_per_s"] != 1000 || !strings.Contains(p.Error, "synthetic failure") {
				t.Errorf("unexpected failed point %+v", p)
			}
			continue
		}
		if got, want := len(p.Subscribers), int(p.Params["subscribers"]); got != want {
			t.Errorf("%s %v: %d subscribers, want %d", p.System, p.Params, got, want)
		}
		// publish.* does not apply to webhook points: left out, not failed.
		wantThresholds := 2
		if len(p.Thresholds) != wantThresholds {
			t.Errorf("%s: %d thresholds evaluated, want %d (publish.p99 has no value for the fake): %+v", p.System, len(p.Thresholds), wantThresholds, p.Thresholds)
		}
		for _, th := range p.Thresholds {
			if th.Expr == "e2e.p99 < 100ms" {
				wantPass := p.Params["rate_per_s"] <= fakes[p.System].capacity/p.Params["subscribers"]
				if th.Pass != wantPass {
					t.Errorf("%s %v: %s pass=%v, want %v", p.System, p.Params, th.Expr, th.Pass, wantPass)
				}
			}
		}
	}
	if failed != 2 {
		t.Errorf("%d failed points, want 2 (kafka at 1000/s for 1 and 3 subscribers)", failed)
	}
	if !res.Environment.Embedded || res.Environment.BrokerKind != "in-memory broker (test)" {
		t.Errorf("typed broker fields not lifted into the environment: %+v", res.Environment)
	}
	if err := res.Validate(); err != nil {
		t.Errorf("results invalid: %v", err)
	}
}

func TestRunFindMax(t *testing.T) {
	register(t)
	sc, err := scenarios.LoadBytes("t.yaml", []byte(`name: t
load: {arrival: constant, rate: 100/s, duration: 1s, warmup: 0s, drain: 1s}
subscribers:
  - name: w
systems: {webhook: {}, kafka: {}}
sweep:
  rate: [100/s]
  subscribers: [1, 3]
  find_max: {slo: "e2e.p99 < 100ms", max_loss: 0, start: 100/s, limit: 100000/s, tolerance: 0.02}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.MaxSustainable) != 4 {
		t.Fatalf("%d saturation results, want 2 systems x 2 subscriber counts", len(res.MaxSustainable))
	}
	for _, m := range res.MaxSustainable {
		want := fakes[m.System].capacity / float64(m.Subscribers)
		if m.RatePerS > want || m.RatePerS < 0.95*want || !m.Bounded {
			t.Errorf("%s with %d subscribers: max %.0f/s (bounded %v), want within 5%% below %.0f/s", m.System, m.Subscribers, m.RatePerS, m.Bounded, want)
		}
	}
	// Probes are not sweep points: only the one swept rate x 2 counts x 2 systems.
	if len(res.Points) != 4 {
		t.Errorf("%d points, want 4 (probes are not recorded as points)", len(res.Points))
	}
}

// TestRunFindMaxConfirm: a stall that fails the start rate once ends the
// search at 0 without find_max.confirm; with confirm the rate is run again,
// the search goes on to the capacity, and every rerun is counted. A rate
// that fails more often than confirm allows still counts as failed.
func TestRunFindMaxConfirm(t *testing.T) {
	cases := []struct {
		name            string
		confirm, stalls int
		wantMax         bool // the search reaches the capacity; else 0
	}{
		{"no confirm, one stall", 0, 1, false},
		{"confirm 1, one stall", 1, 1, true},
		{"confirm 1, two stalls", 1, 2, false},
		{"confirm 3, two stalls", 3, 2, true},
		{"confirm 2, no stall", 2, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			register(t)
			fakes["webhook"].stalls[100] = tc.stalls
			sc, err := scenarios.LoadBytes("t.yaml", []byte(fmt.Sprintf(`name: t
load: {arrival: constant, rate: 50/s, duration: 1s, warmup: 0s, drain: 1s}
subscribers:
  - name: w
systems: {webhook: {}}
sweep:
  find_max: {slo: "e2e.p99 < 100ms", start: 100/s, limit: 100000/s, tolerance: 0.02, confirm: %d}
`, tc.confirm)))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.MaxSustainable) != 1 {
				t.Fatalf("%d saturation results, want 1", len(res.MaxSustainable))
			}
			m := res.MaxSustainable[0]
			capacity := fakes["webhook"].capacity
			if tc.wantMax && (m.RatePerS > capacity || m.RatePerS < 0.95*capacity || !m.Bounded) {
				t.Errorf("max %.0f/s (bounded %v), want within 5%% below %.0f/s", m.RatePerS, m.Bounded, capacity)
			}
			if !tc.wantMax && m.RatePerS != 0 {
				t.Errorf("max %.0f/s, want 0: the start rate failed %d times against confirm %d", m.RatePerS, tc.stalls, tc.confirm)
			}
			// Count what ran: every probe point, and the runs of a rate
			// beyond its first.
			fakeMu.Lock()
			runs := map[float64]int{}
			probes := 0
			for _, c := range fakeCalls {
				if _, ok := c[scenarios.ParamFindMaxProbe]; ok {
					probes++
					runs[c["rate_per_s"]]++
				}
			}
			fakeMu.Unlock()
			reruns := 0
			for rate, n := range runs {
				reruns += n - 1
				if n > tc.confirm+1 {
					t.Errorf("rate %.0f/s ran %d times, more than 1 + confirm %d", rate, n, tc.confirm)
				}
			}
			if m.Probes != probes || m.Reruns != reruns {
				t.Errorf("recorded probes %d reruns %d, ran %d probe points of which %d reruns", m.Probes, m.Reruns, probes, reruns)
			}
			if tc.confirm > 0 && tc.stalls > 0 && reruns == 0 {
				t.Error("no rerun although the start rate failed")
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	register(t)
	sc, err := scenarios.LoadBytes("t.yaml", []byte(sweepYAML))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Run(ctx, sc, Options{OnDone: func(*results.Point) { cancel() }})
	if !errors.Is(err, context.Canceled) || res.Status != results.StatusInterrupted {
		t.Fatalf("status %q err %v, want interrupted", res.Status, err)
	}
	if len(res.Points) != 1 {
		t.Errorf("%d points after interruption, want the 1 that finished", len(res.Points))
	}
}

func TestMetricValue(t *testing.T) {
	p := &results.Point{AchievedPerS: 990, GeneratorLagUS: results.Lag{P99: 300, Max: 900},
		Publish: &results.Latency{LatencyUS: results.Summary{Count: 100, P99: 7000}},
		Subscribers: []results.Subscriber{
			{E2E: results.Latency{LatencyUS: results.Summary{Count: 98, P50: 1000, P99: 5000, Max: 9000}}, Accounting: results.Accounting{Sent: 100, Delivered: 98, Lost: 2, Duplicates: 1}},
			{E2E: results.Latency{LatencyUS: results.Summary{Count: 100, P50: 2000, P99: 4000, Max: 8000}}, Accounting: results.Accounting{Sent: 100, Delivered: 100, Duplicates: 3, Retries: 7}},
		}}
	tests := []struct {
		metric string
		want   float64
		ok     bool
	}{
		{"e2e.p99", 5000, true}, // the worst subscriber
		{"e2e.p50", 2000, true},
		{"e2e.max", 9000, true},
		{"publish.p99", 7000, true},
		{"attempt.p99", 0, false}, // not measured here
		{"lost", 2, true},         // summed
		{"duplicates", 4, true},
		{"retries", 7, true},
		{"lost_ratio", 0.01, true},
		{"achieved_per_s", 990, true},
		{"generator_lag.max", 900, true},
		{"nonsense", 0, false},
	}
	for _, tc := range tests {
		got, ok := MetricValue(p, tc.metric)
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s = %v (ok %v), want %v (ok %v)", tc.metric, got, ok, tc.want, tc.ok)
		}
	}
}

// TestEvaluateNoData is issue 9 item 3: with 400 of 400 events lost the e2e
// histogram is empty, and "e2e.p99 < 100ms" used to pass with value 0. A
// threshold on a metric without data fails, marked no_data.
func TestEvaluateNoData(t *testing.T) {
	allLost := results.Accounting{Sent: 400, Lost: 400}
	tests := []struct {
		name   string
		p      *results.Point
		expr   string
		pass   bool
		noData bool
		skip   bool // not applicable: left out
	}{
		{"all lost: e2e", &results.Point{Subscribers: []results.Subscriber{{Accounting: allLost}}}, "e2e.p99 < 100ms", false, true, false},
		{"one subscriber got nothing", &results.Point{Subscribers: []results.Subscriber{
			{E2E: results.Latency{LatencyUS: results.Summary{Count: 400, P99: 2000}}, Accounting: results.Accounting{Sent: 400, Delivered: 400}},
			{Accounting: allLost}}}, "e2e.p99 < 100ms", false, true, false},
		{"no attempts", &results.Point{Subscribers: []results.Subscriber{{Attempt: &results.Latency{}, Accounting: allLost}}}, "attempt.max < 1s", false, true, false},
		{"no publish acks", &results.Point{Publish: &results.Latency{}, Subscribers: []results.Subscriber{{Accounting: allLost}}}, "publish.p99 < 10ms", false, true, false},
		{"nothing sent: lost_ratio", &results.Point{Subscribers: []results.Subscriber{{}}}, "lost_ratio <= 1%", false, true, false},
		{"all lost: lost is data", &results.Point{Subscribers: []results.Subscriber{{Accounting: allLost}}}, "lost == 0", false, false, false},
		{"with data passes", &results.Point{Subscribers: []results.Subscriber{
			{E2E: results.Latency{LatencyUS: results.Summary{Count: 400, P99: 2000}}, Accounting: results.Accounting{Sent: 400, Delivered: 400}}}}, "e2e.p99 < 100ms", true, false, false},
		{"not measured: left out", &results.Point{Subscribers: []results.Subscriber{{Accounting: allLost}}}, "publish.p99 < 10ms", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Status = results.StatusComplete
			got := Evaluate([]scenarios.Threshold{scenarios.MustThreshold(tc.expr)}, tc.p)
			if tc.skip {
				if len(got) != 0 {
					t.Fatalf("got %+v, want the threshold left out", got)
				}
				return
			}
			if len(got) != 1 || got[0].Pass != tc.pass || got[0].NoData != tc.noData {
				t.Fatalf("got %+v, want pass %v no_data %v", got, tc.pass, tc.noData)
			}
			if _, ok := MetricValue(tc.p, strings.Fields(tc.expr)[0]); ok == tc.noData {
				t.Errorf("MetricValue ok = %v, want %v (a saturation probe must not pass on no data)", ok, !tc.noData)
			}
		})
	}
}
