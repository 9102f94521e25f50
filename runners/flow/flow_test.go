package flow

import (
	"context"
	"testing"

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

func TestSmoke(t *testing.T) {
	sc := loadScenario(t, `
load: {rate: 50/s, duration: 2s, warmup: 500ms, drain: 5s}
subscribers: [{name: unused}]
systems: {webhook: {retry: {initial: 20ms}}}
flows:
  - name: f
    services:
      - {name: order, processing: 2ms}
      - {name: inventory, processing: 1ms}
      - {name: payment, processing: 1ms, delay: 50ms}
      - {name: paid, processing: 1ms}
      - {name: shipping, processing: 3ms}
    hops:
      - {name: created, from: order, to: [inventory, payment], via: kafka}
      - {name: payment-webhook, from: payment, to: paid, via: bridge}
      - {name: order-paid, from: paid, to: shipping, via: webhook}
`)
	res, err := Run(context.Background(), sc, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res {
		t.Logf("%s events %d status %s", f.Name, f.Events, f.Status)
		for _, h := range f.Hops {
			t.Logf("hop %s sent %d delivered %d lost %d dup %d p50 %d p99 %d since p50 %d", h.Name, h.Sent, h.Delivered, h.Lost, h.Duplicates, h.Latency.LatencyUS.P50, h.Latency.LatencyUS.P99, h.SinceIntended.LatencyUS.P50)
		}
		for _, r := range f.Routes {
			t.Logf("route %s completed %d lost %d p50 %d p99 %d crit %v %.2f", r.Name, r.Completed, r.Lost, r.E2E.LatencyUS.P50, r.E2E.LatencyUS.P99, r.CriticalPath, r.CriticalShare)
		}
		t.Logf("whole %+v", f.Whole.CriticalPath)
	}
}
