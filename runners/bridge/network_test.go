package bridge

import (
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
	"github.com/evbench/evbench/scenarios/netspec"
)

// TestBridgeIngressNetwork: 20 ms (one-way) on the sender -> ingress link
// puts a round trip (>= 40 ms) into ingress latency (intended -> the
// bridge's answer) and at least the one-way 20 ms into e2e; every link is
// recorded, nothing is lost.
func TestBridgeIngressNetwork(t *testing.T) {
	sc := scenario(kafka.Embedded, AckAfterProduce, 1, 1)
	ConfigOf(sc).IngressNetwork = scenarios.Network{Spec: netspec.Spec{Latency: 20 * time.Millisecond}}
	kafka.ConfigOf(sc).ProducerNetwork = scenarios.Network{Profile: "loopback"}
	res := run(t, &Runner{}, sc)
	s := res.Subscribers[0]
	t.Logf("ingress p50 %d us, publish p50 %d us, e2e p50 %d us, network %+v", res.Ingress.LatencyUS.P50, res.Publish.LatencyUS.P50, s.E2E.LatencyUS.P50, res.Network)
	if s.Accounting.Lost != 0 || s.Accounting.Delivered != 400 {
		t.Errorf("accounting %+v, want 400 delivered", s.Accounting)
	}
	if res.Ingress.LatencyUS.P50 < 40_000 {
		t.Errorf("ingress p50 %d us through a 20 ms link, want >= 40 ms (one round trip)", res.Ingress.LatencyUS.P50)
	}
	if s.E2E.LatencyUS.P50 < 20_000 {
		t.Errorf("e2e p50 %d us, want >= 20 ms (the request's one-way delay)", s.E2E.LatencyUS.P50)
	}
	if l := res.Network[results.LinkIngress]; l.Spec != "{latency: 20ms}" {
		t.Errorf("network = %+v, want the ingress link", res.Network)
	}
	if l := res.Network[results.LinkProducer]; l.Profile != "loopback" {
		t.Errorf("network = %+v, want the producer link on loopback", res.Network)
	}
}
