package kafka

import (
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
	"github.com/evbench/evbench/scenarios/netspec"
)

// TestConsumerNetworkShiftsE2E: 10 ms (one-way) on the consumer group <->
// brokers link delays every fetch response by at least 10 ms, so that
// group's e2e is at least 10 ms above a group without a link in the same
// run (embedded broker). systems.kafka.consumer_network is the default for
// every group; a subscriber's own network (here `loopback`) overrides it.
func TestConsumerNetworkShiftsE2E(t *testing.T) {
	sc := testScenario("netgroup", Embedded, scOpts{rate: 200, warmup: time.Second, duration: 3 * time.Second, drain: 5 * time.Second,
		subs: 2, members: 1, partitions: 4, acks: AcksAll})
	ConfigOf(sc).ConsumerNetwork = scenarios.Network{Spec: netspec.Spec{Latency: 10 * time.Millisecond}}
	sc.Subscribers[1].Network = scenarios.Network{Profile: "loopback"}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	res := runPoint(t, &Runner{}, sc)
	far, near := res.Subscribers[0], res.Subscribers[1]
	for _, s := range res.Subscribers {
		if s.Accounting.Lost != 0 || s.Accounting.Delivered != expectedSent(sc) {
			t.Fatalf("%s: accounting %+v, want %d delivered", s.Name, s.Accounting, expectedSent(sc))
		}
	}
	shift := far.E2E.LatencyUS.P50 - near.E2E.LatencyUS.P50
	t.Logf("e2e p50: %s (10 ms link) %d us, %s (loopback) %d us: shift %d us; publish p50 %d us",
		far.Name, far.E2E.LatencyUS.P50, near.Name, near.E2E.LatencyUS.P50, shift, res.Publish.LatencyUS.P50)
	if shift < 10_000 {
		t.Errorf("10 ms on the consumer link shifted e2e p50 by %d us, want >= 10 ms", shift)
	}
	if l := res.Network[results.LinkGroupPrefix+far.Name]; l.Spec != "{latency: 10ms}" {
		t.Errorf("network = %+v, want %s's group link {latency: 10ms}", res.Network, far.Name)
	}
	if l := res.Network[results.LinkGroupPrefix+near.Name]; l.Profile != "loopback" {
		t.Errorf("network = %+v, want %s's group link on loopback", res.Network, near.Name)
	}
	if _, ok := res.Network[results.LinkProducer]; ok {
		t.Errorf("network = %+v: no producer link was asked for", res.Network)
	}
}

// TestProducerNetworkShiftsPublish: 10 ms on the producer <-> brokers link
// adds a round trip (>= 20 ms) to publish latency (acks all: the produce
// request and its answer both cross the link).
func TestProducerNetworkShiftsPublish(t *testing.T) {
	sc := testScenario("netprod", Embedded, scOpts{rate: 200, warmup: time.Second, duration: 2 * time.Second, drain: 5 * time.Second,
		subs: 1, members: 1, partitions: 4, acks: AcksAll})
	ConfigOf(sc).ProducerNetwork = scenarios.Network{Spec: netspec.Spec{Latency: 10 * time.Millisecond}}
	res := runPoint(t, &Runner{}, sc)
	t.Logf("publish p50 %d us, e2e p50 %d us", res.Publish.LatencyUS.P50, res.Subscribers[0].E2E.LatencyUS.P50)
	if res.Publish.LatencyUS.P50 < 20_000 {
		t.Errorf("publish p50 %d us through a 10 ms link, want >= 20 ms (one round trip)", res.Publish.LatencyUS.P50)
	}
	if res.Subscribers[0].Accounting.Lost != 0 {
		t.Errorf("accounting %+v", res.Subscribers[0].Accounting)
	}
}
