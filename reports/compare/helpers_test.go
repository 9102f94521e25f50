package compare

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// The fixtures are small and exact: a subscriber's e2e histogram holds a
// body of values at one latency and a tail of 2% at another, so p50 is the
// body and p99, p99.9 and max are the tail. A test changes one thing and
// checks that exactly the expected metrics regress.

// latency builds a results.Latency from (value µs, count) pairs.
func latency(t *testing.T, parts ...[2]int64) results.Latency {
	t.Helper()
	h := results.NewHistogram()
	for _, p := range parts {
		if err := h.RecordValues(p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	l, err := results.NewLatency(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// subscriber is sent events, lost of them lost, the delivered ones 98% at
// bodyUS and 2% at tailUS.
func subscriber(t *testing.T, name string, sent, lost, bodyUS, tailUS int64) results.Subscriber {
	t.Helper()
	delivered := sent - lost
	tail := delivered / 50
	return results.Subscriber{
		Name:       name,
		E2E:        latency(t, [2]int64{bodyUS, delivered - tail}, [2]int64{tailUS, tail}),
		Accounting: results.Accounting{Sent: sent, Delivered: delivered, Lost: lost},
	}
}

// point is a 10 s point at 100/s with two subscribers (inventory 2ms body,
// 10ms tail; shipping 5ms body, 20ms tail); kafka points also have a
// publish latency (1ms body, 4ms tail).
func point(t *testing.T, system string) results.Point {
	t.Helper()
	const sent = 1000
	p := results.Point{
		System:       system,
		Params:       map[string]float64{"rate_per_s": 100, "subscribers": 2},
		Repeat:       1,
		Status:       results.StatusComplete,
		OfferedPerS:  100,
		AchievedPerS: 100,
		Subscribers: []results.Subscriber{
			subscriber(t, "inventory", sent, 0, 2000, 10000),
			subscriber(t, "shipping", sent, 0, 5000, 20000),
		},
		Resources: results.Resources{CPUUserS: 0.8, CPUSysS: 0.2, MaxRSSBytes: 60 << 20, BytesSent: sent * 2 * 600},
		StartedAt: time.Date(2026, 3, 14, 9, 0, 2, 0, time.UTC),
		DurationS: 10,
	}
	for i := 1; i <= 10; i++ {
		p.Timeseries = append(p.Timeseries, results.Sample{TS: float64(i), Offered: 100, Achieved: 100, P50US: 2100, P99US: 9800, Delivered: 200, InFlight: 3})
	}
	if system == "kafka" {
		pl := latency(t, [2]int64{1000, 980}, [2]int64{4000, 20})
		p.Publish = &pl
		p.PublishErrors = &results.Errors{}
	}
	return p
}

// doc is a complete run of scenario "orders": webhook and kafka points on
// the embedded broker, 2 cpus.
func doc(t *testing.T) *results.Results {
	t.Helper()
	sc, _ := json.Marshal(map[string]any{"name": "orders", "load": map[string]any{"rate_per_s": 100, "duration_ns": 10e9}})
	r := &results.Results{
		Schema:   results.Schema,
		Status:   results.StatusComplete,
		Scenario: sc,
		Command:  "evbench run orders.yaml",
		Environment: results.Environment{
			Go: "go1.26.8", OS: "linux", Arch: "amd64", CPUs: 2, Revision: "1111111",
			StartedAt:  time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC),
			FinishedAt: time.Date(2026, 3, 14, 9, 0, 30, 0, time.UTC),
			BrokerKind: "embedded in-memory (kfake, not disk-backed)", Embedded: true,
		},
		Points: []results.Point{point(t, "webhook"), point(t, "kafka")},
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	return r
}

// sub returns the named subscriber of the system's point.
func sub(t *testing.T, r *results.Results, system, name string) *results.Subscriber {
	t.Helper()
	p := pt(t, r, system)
	for i := range p.Subscribers {
		if p.Subscribers[i].Name == name {
			return &p.Subscribers[i]
		}
	}
	t.Fatalf("no subscriber %s in %s", name, system)
	return nil
}

// pt returns the first point of a system.
func pt(t *testing.T, r *results.Results, system string) *results.Point {
	t.Helper()
	for i := range r.Points {
		if r.Points[i].System == system {
			return &r.Points[i]
		}
	}
	t.Fatalf("no %s point", system)
	return nil
}
