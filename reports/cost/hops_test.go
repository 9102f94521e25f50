package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios/netspec"
)

// TestHopClassEveryProfile: every network profile has a deliberate hop
// class; only loopback (no network) is priced by the assumption.
func TestHopClassEveryProfile(t *testing.T) {
	for _, name := range netspec.Names() {
		c := HopClass(name)
		if (c == HopAssumed) != (name == "loopback") {
			t.Errorf("profile %s: hop class %s", name, c)
		}
	}
	if HopClass("") != HopAssumed {
		t.Errorf("an inline spec (no profile) must be priced by the assumption")
	}
}

// hopsResults is a run whose points recorded their links: webhook with
// four subscribers (two on internet, one on flaky-internet, one without a
// link), kafka producing cross-zone with same-zone groups, and the bridge
// the same behind an internet-facing ingress.
func hopsResults() *results.Results {
	r := &results.Results{Schema: results.Schema, Scenario: []byte(`{"event":{"size":{"dist":"fixed","value":1000}}}`)}
	wh := usagePoint("webhook", 1000, 4, 10, 0, 0, 5e-5, 0, 1000)
	wh.Network = map[string]results.NetworkLink{
		results.LinkWebhookPrefix + "s0": {Profile: "internet"},
		results.LinkWebhookPrefix + "s1": {Profile: "internet"},
		results.LinkWebhookPrefix + "s2": {Profile: "flaky-internet"},
	}
	r.Points = append(r.Points, wh)
	for _, sys := range []string{"kafka", "bridge"} {
		p := usagePoint(sys, 1000, 2, 10, 0, 0, 5e-5, 0, 1000)
		p.Network = map[string]results.NetworkLink{
			results.LinkProducer:           {Profile: "cross-zone"},
			results.LinkGroupPrefix + "s0": {Profile: "same-zone"},
			results.LinkGroupPrefix + "s1": {Profile: "same-zone"},
		}
		if sys == "bridge" {
			p.Network[results.LinkIngress] = results.NetworkLink{Profile: "internet"}
		}
		r.Points = append(r.Points, p)
	}
	return r
}

// TestNetworkPricedFromLinks: the cost model prices bytes on the hops the
// measured links say they crossed (handcalc.yaml: internet $4/GB, a
// cross-zone hop at the system's price, the assumption 0.5 x the system's
// price where a link has no location), at x = 1000 events/hour, n = 2,
// H = 1000 hours, 2000 B per webhook attempt and 1000 B per Kafka event:
//
//	webhook network = (0.75 x 4 + 0.25 x 0.5 x 1) $/GB x 1e6 x 2 x 2000 / 1e9  = 12.5
//	kafka network   = (0.2 cross-zone produce + 2 x 0 same-zone fetch) x 1e6 x 1000 / 1e9
//	                  + replication 0.1 x 1e6 x 1000 x (2-1) / 1e9             = 0.3
//	bridge ingress  = endpoint 2 + 4 $/GB x 1e6 x 1000 / 1e9 + TLS 0.4          = 6.4
//
// Without links every hop is priced by the assumption (the hand-computed
// golden values of TestHandComputed: 2.00, 0.40, 2.90).
func TestNetworkPricedFromLinks(t *testing.T) {
	u, err := MeasuredUsage(hopsResults())
	if err != nil {
		t.Fatal(err)
	}
	w, k, b := u["webhook"].Hops, u["kafka"].Hops, u["bridge"].Hops
	if w == nil || k == nil || b == nil {
		t.Fatalf("hops not measured: webhook %+v, kafka %+v, bridge %+v", w, k, b)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(w.Subscribers[HopInternet], 0.75) || !near(w.Subscribers[HopAssumed], 0.25) || w.Producer != nil || w.Ingress != nil {
		t.Errorf("webhook hops %+v, want subscribers internet 75%%, assumed 25%%", w)
	}
	if !near(k.Producer[HopCrossZone], 1) || !near(k.Subscribers[HopSameZone], 1) || k.Ingress != nil {
		t.Errorf("kafka hops %+v, want producer cross-zone, groups same-zone", k)
	}
	if !near(b.Ingress[HopInternet], 1) || !near(b.Producer[HopCrossZone], 1) {
		t.Errorf("bridge hops %+v, want ingress internet, producer cross-zone", b)
	}

	hand := handUsage()
	for _, s := range []string{"webhook", "kafka", "bridge"} {
		x := hand[s]
		x.Hops = u[s].Hops
		hand[s] = x
	}
	m := NewModel(handProfile(t), hand)
	for _, c := range []struct {
		system, line string
		want         float64
	}{
		{"webhook", CompNetwork, 12.5},
		{"kafka", CompNetwork, 0.3},
		{"bridge", CompNetwork, 0.3},
		{"bridge", CompIngress, 6.4},
	} {
		bd, err := m.Cost(c.system, 1000, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := bd.Items[c.line]; math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s %s = %v, want %v", c.system, c.line, got, c.want)
		}
	}
	// The paragraph of the report says where bytes were priced.
	para := ModelParagraph(handProfile(t), hand)
	for _, want := range []string{"webhook deliveries assumed 25.0%, internet 75.0% ($3.12/GB on average)", "kafka produce cross-zone 100.0% ($0.20/GB), fetch same-zone 100.0% ($0.00/GB)", "ingress internet 100.0% ($4.00/GB)"} {
		if !strings.Contains(para, want) {
			t.Errorf("model paragraph lacks %q:\n%s", want, para)
		}
	}
}
