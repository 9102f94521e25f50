package measure_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// shortPoint runs a 0.2 s point at 100/s whose one subscriber processes
// every event at once, ready for Finish.
func shortPoint(t *testing.T) *measure.Point {
	t.Helper()
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: 100, Duration: scenarios.Duration(200 * ms)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 4, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"a"}, sc.Event.Keys)
	start := load.Now() + int64(10*ms)
	mp.Start(start)
	gen.Run(context.Background(), start, func(e load.Event) {
		mp.Subs[0].Attempts(1)
		mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now())
	})
	mp.Drain(ms*100, nil)
	return mp
}

// TestSetBroker: the broker a runner records becomes the point's typed
// broker fields; a Direct point (no broker) carrying one is a harness bug.
func TestSetBroker(t *testing.T) {
	mp := shortPoint(t)
	mp.SetBroker("Apache Kafka v4.1", false)
	res, err := mp.Finish(viaBroker, nil)
	if err != nil || res.BrokerKind != "Apache Kafka v4.1" || res.BrokerEmbedded {
		t.Fatalf("via broker: kind %q embedded %v, err %v", res.BrokerKind, res.BrokerEmbedded, err)
	}
	mp = shortPoint(t)
	mp.SetBroker("in-memory", true)
	if res, err = mp.Finish(viaBroker, nil); err != nil || !res.BrokerEmbedded {
		t.Fatalf("embedded: %+v, %v", res, err)
	}
	for _, n := range res.Notes {
		if strings.Contains(n, "broker_kind") {
			t.Errorf("broker kind still travels as a note: %q", n)
		}
	}
	mp = shortPoint(t)
	mp.SetBroker("in-memory", true)
	if _, err = mp.Finish(direct, nil); err == nil {
		t.Error("a point without the broker capability finished with a broker and no error")
	}
}

// TestFinishDelivery: the capabilities passed to Finish decide which
// figures the point carries (per-attempt with Attempts, publish with
// Publish, ingress with Ingress) and are recorded on it; an ingress
// without publishing is an error, not a silent choice.

func TestFinishDelivery(t *testing.T) {
	tests := []struct {
		name                 string
		c                    results.Capabilities
		wantErr              bool
		wantPublish, wantAtt bool
		wantIngress          bool
	}{
		{"direct", direct, false, false, true, false},
		{"via broker", viaBroker, false, true, false, false},
		// A bridge point records ingress latency even when it measured no
		// event (interrupted in the warm-up): found by runners/runnertest.
		{"via ingress", results.Capabilities{Publish: true, Ingress: true, Broker: true}, false, true, false, true},
		{"ingress without publish", results.Capabilities{Ingress: true}, true, false, false, false},
		{"nothing beyond e2e", results.Capabilities{}, false, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := shortPoint(t).Finish(tc.c, nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Finish(%+v) error %v, want error %v", tc.c, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if res.Capabilities == nil || *res.Capabilities != tc.c {
				t.Errorf("recorded capabilities %+v, want %+v", res.Capabilities, tc.c)
			}
			if got := res.Ingress != nil; got != tc.wantIngress {
				t.Errorf("ingress figures present %v, want %v", got, tc.wantIngress)
			}
			if got := res.Publish != nil && res.PublishErrors != nil; got != tc.wantPublish {
				t.Errorf("publish figures present %v, want %v", got, tc.wantPublish)
			}
			s := res.Subscribers[0]
			if got := s.Attempt != nil && s.AttemptsPerDelivery != nil; got != tc.wantAtt {
				t.Errorf("attempt figures present %v, want %v", got, tc.wantAtt)
			}
			if s.Accounting.Sent != 20 || s.Accounting.Delivered != 20 {
				t.Errorf("accounting %+v, want 20 sent and delivered", s.Accounting)
			}
		})
	}
}
