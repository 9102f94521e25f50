package flow

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

func loadScenario(t *testing.T, y string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.LoadBytes("flow-test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func runFlows(t *testing.T, sc *scenarios.Scenario, brokers ...string) []results.Flow {
	t.Helper()
	res, err := Run(context.Background(), sc, Options{Brokers: strings.Join(brokers, ",")})
	if err != nil {
		t.Fatal(err)
	}
	doc := &results.Results{Schema: results.Schema, Flows: res}
	if err := doc.Validate(); err != nil {
		t.Fatalf("results do not validate: %v", err)
	}
	return res
}

func hopOf(t *testing.T, f results.Flow, name string) results.FlowHop {
	t.Helper()
	for _, h := range f.Hops {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("flow %s has no hop %s", f.Name, name)
	return results.FlowHop{}
}

func routeOf(t *testing.T, f results.Flow, name string) results.FlowRoute {
	t.Helper()
	for _, r := range f.Routes {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("flow %s has no route %s", f.Name, name)
	return results.FlowRoute{}
}

func minUS(t *testing.T, l results.Latency) int64 {
	t.Helper()
	h, err := results.DecodeHistogram(l.Histogram)
	if err != nil {
		t.Fatal(err)
	}
	return h.Min()
}

// threeTransports uses every transport on one path, with fixed processing
// times and a delay, so the critical path's simulated time is known.
const threeTransports = `
load: {rate: 50/s, duration: 2s, warmup: 500ms, drain: 10s}
subscribers: [{name: unused}]
systems: {webhook: {}}
flows:
  - name: mixed
    services:
      - {name: order, processing: 2ms}
      - {name: inventory, processing: 1ms}
      - {name: analytics, processing: 4ms}
      - {name: payment, processing: 1ms, delay: 30ms}
      - {name: paid, processing: 2ms}
      - {name: shipping, processing: 3ms}
    hops:
      - {name: created, from: order, to: [inventory, analytics, payment], via: kafka}
      - {name: payment-webhook, from: payment, to: paid, via: bridge}
      - {name: order-paid, from: paid, to: shipping, via: webhook}
    routes:
      - {name: confirmation, to: [inventory, analytics]}
      - {name: fulfilment, to: [shipping]}
`

// TestLedgersBalanceAndE2EAboveSimulatedTime: with no fault every hop
// delivers every event it sent to every target (and sends every event the
// sender processed), and no event completes a route faster than the
// processing and delays simulated on the path to the route's slowest end.
// It runs on the embedded broker and, when EVBENCH_KAFKA_BROKERS is set, on
// the real one.
func TestLedgersBalanceAndE2EAboveSimulatedTime(t *testing.T) {
	for _, target := range brokertest.Targets(t, scenarios.DefaultBrokers) {
		t.Run(target.Name, func(t *testing.T) { ledgersAndE2E(t, target.Brokers) })
	}
}

func ledgersAndE2E(t *testing.T, brokers string) {
	sc := loadScenario(t, threeTransports)
	f := runFlows(t, sc, brokers)[0]
	if f.Status != results.StatusComplete || f.Events < 80 || f.Events > 120 {
		t.Fatalf("status %s, %d events (want complete, about 100)", f.Status, f.Events)
	}
	targets := map[string]int64{"created": 3, "payment-webhook": 1, "order-paid": 1}
	for _, h := range f.Hops {
		if h.Sent != h.Delivered+h.Lost {
			t.Errorf("hop %s: sent %d != delivered %d + lost %d", h.Name, h.Sent, h.Delivered, h.Lost)
		}
		if want := f.Events * targets[h.Name]; h.Sent != want || h.Delivered != want || h.Lost != 0 || h.Duplicates != 0 {
			t.Errorf("hop %s: sent %d delivered %d lost %d duplicates %d, want %d sent and delivered, 0 lost and duplicates",
				h.Name, h.Sent, h.Delivered, h.Lost, h.Duplicates, want)
		}
		if h.Latency.LatencyUS.Count != h.Delivered || h.SinceIntended.LatencyUS.Count != h.Delivered {
			t.Errorf("hop %s: %d/%d latencies for %d deliveries", h.Name, h.Latency.LatencyUS.Count, h.SinceIntended.LatencyUS.Count, h.Delivered)
		}
	}
	// Simulated time on each path, in microseconds.
	order, inventory, analytics, payment, paid, shipping := 2000, 1000, 4000, 1000+30000, 2000, 3000
	conf := routeOf(t, f, "confirmation")
	ful := routeOf(t, f, "fulfilment")
	for _, c := range []struct {
		r    results.FlowRoute
		path int64
	}{
		{conf, int64(order + max(inventory, analytics))},
		{ful, int64(order + payment + paid + shipping)},
		{f.Whole, int64(order + payment + paid + shipping)},
	} {
		if c.r.Completed != f.Events || c.r.Lost != 0 {
			t.Errorf("route %s: completed %d lost %d of %d events", c.r.Name, c.r.Completed, c.r.Lost, f.Events)
		}
		if m := minUS(t, c.r.E2E); m < c.path {
			t.Errorf("route %s: fastest e2e %d us is below the %d us simulated on its critical path", c.r.Name, m, c.path)
		}
	}
	if want := []string{"created", "payment-webhook", "order-paid"}; !equal(ful.CriticalPath, want) || !equal(f.Whole.CriticalPath, want) {
		t.Errorf("critical paths %v, %v, want %v", ful.CriticalPath, f.Whole.CriticalPath, want)
	}
	// Cumulative latency grows hop by hop along the path.
	if a, b := hopOf(t, f, "payment-webhook").SinceIntended.LatencyUS.P50, hopOf(t, f, "order-paid").SinceIntended.LatencyUS.P50; a >= b {
		t.Errorf("since-intended p50 does not grow along the path: %d then %d", a, b)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFaultOnOneHop: a hop whose receiver fails every request for a
// window (one attempt: each failed event is dead-lettered) loses events;
// the loss shows on that hop, on every route through it and on the whole
// flow, and nowhere else: not on the other branch, not in the other flow.
// The hop after it sends only what got through, and loses nothing.
func TestFaultOnOneHop(t *testing.T) {
	sc := loadScenario(t, `
load: {rate: 50/s, duration: 3s, warmup: 500ms, drain: 10s}
subscribers: [{name: unused}]
systems: {webhook: {retry: {max_attempts: 1}}}
flows:
  - name: faulty
    services:
      - {name: order, processing: 1ms}
      - {name: fraud, processing: 1ms}
      - {name: fraud-alerts, processing: 1ms}
      - {name: analytics, processing: 1ms}
    hops:
      - {name: to-fraud, from: order, to: fraud, via: webhook, faults: [{kind: errors, status: 500, at: 1s, for: 1s}]}
      - {name: alerts, from: fraud, to: fraud-alerts, via: kafka}
      - {name: to-analytics, from: order, to: analytics, via: kafka}
    routes:
      - {name: fraud-check, to: [fraud-alerts]}
      - {name: fraud-only, to: [fraud]}
      - {name: reporting, to: [analytics]}
  - name: clean
    services:
      - {name: order, processing: 1ms}
      - {name: fraud, processing: 1ms}
    hops:
      - {name: to-fraud, from: order, to: fraud, via: webhook}
`)
	res := runFlows(t, sc)
	f, clean := res[0], res[1]
	bad := hopOf(t, f, "to-fraud")
	// A third of the measured period: about 50 events.
	if bad.Lost < 25 || bad.Lost > 75 || bad.DeadLettered != bad.Lost {
		t.Fatalf("faulted hop: lost %d, dead-lettered %d (want about 50, all dead-lettered)", bad.Lost, bad.DeadLettered)
	}
	if a := hopOf(t, f, "alerts"); a.Sent != bad.Delivered || a.Lost != 0 {
		t.Errorf("hop after the fault: sent %d (want %d, what got through), lost %d (want 0)", a.Sent, bad.Delivered, a.Lost)
	}
	for _, r := range []results.FlowRoute{routeOf(t, f, "fraud-check"), routeOf(t, f, "fraud-only"), f.Whole} {
		if r.Lost != bad.Lost {
			t.Errorf("route %s through the faulted hop: lost %d, want %d", r.Name, r.Lost, bad.Lost)
		}
	}
	if r := routeOf(t, f, "reporting"); r.Lost != 0 || r.Completed != f.Events {
		t.Errorf("route reporting does not use the faulted hop but lost %d (completed %d of %d)", r.Lost, r.Completed, f.Events)
	}
	if h := hopOf(t, f, "to-analytics"); h.Lost != 0 {
		t.Errorf("hop to-analytics lost %d", h.Lost)
	}
	if clean.Whole.Lost != 0 || hopOf(t, clean, "to-fraud").Lost != 0 {
		t.Errorf("the other flow lost %d (hop %d)", clean.Whole.Lost, hopOf(t, clean, "to-fraud").Lost)
	}
}

// TestDelayIsCompressed: a service delay is on the scenario's timeline, so
// time_scale divides it, and the end-to-end latency includes it.
func TestDelayIsCompressed(t *testing.T) {
	sc := loadScenario(t, `
time_scale: 3600
load: {rate: 20/s, duration: 2h, warmup: 30m, drain: 2h}
subscribers: [{name: unused}]
systems: {kafka: {}}
flows:
  - name: shipping
    services:
      - {name: shipping}
      - {name: provider, delay: 2m}
      - {name: status}
    hops:
      - {name: create-shipment, from: shipping, to: provider, via: webhook}
      - {name: status-webhook, from: provider, to: status, via: bridge}
`)
	if d := time.Duration(sc.Flows[0].Services[1].Delay.Value); d != 2*time.Minute/3600 {
		t.Fatalf("delay after time_scale: %v", d)
	}
	f := runFlows(t, sc)[0]
	if m := minUS(t, f.Whole.E2E); m < (2 * time.Minute / 3600).Microseconds() {
		t.Errorf("fastest e2e %d us is below the compressed delay", m)
	}
	if f.Whole.Lost != 0 {
		t.Errorf("lost %d", f.Whole.Lost)
	}
}
