package html

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// TestEndpointsAndPhases: the report shows how a url subscriber was
// accounted (acknowledgements or a sink's ledger, with the clock skew),
// labels insecure_skip_verify, and splits attempt latency into connect,
// TLS and time to first byte.
func TestEndpointsAndPhases(t *testing.T) {
	r := fixture.Build(fixture.Options{RealBroker: true, GeneratorLagUS: 200})
	found := false
	for i := range r.Points {
		p := &r.Points[i]
		if p.System != "webhook" {
			continue
		}
		found = true
		skew, bound := int64(-1500), int64(400)
		p.Subscribers[0].Endpoint = &results.Endpoint{URL: "https://hooks.example/x", Mode: results.EndpointAck, InsecureSkipVerify: true}
		p.Subscribers[0].AttemptPhases = &results.AttemptPhases{KeepAlive: false, NewConnections: 1234,
			Connect: results.Latency{LatencyUS: results.Summary{Count: 1234, P50: 51000, Mean: 51000}},
			TLS:     results.Latency{LatencyUS: results.Summary{Count: 1234, P50: 102000, Mean: 102000}},
			TTFB:    results.Latency{LatencyUS: results.Summary{Count: 1234, P50: 101000, Mean: 101000}}}
		if len(p.Subscribers) > 1 {
			p.Subscribers[1].Endpoint = &results.Endpoint{URL: "http://sinkhost:8081/webhook/b", Mode: results.EndpointSinkLedger,
				ClockSkewUS: &skew, ClockSkewBoundUS: &bound}
		}
	}
	if !found {
		t.Fatal("fixture has no webhook point")
	}
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"external receiver at https://hooks.example/x: delivered counts 2xx acknowledgements, e2e is intended → 2xx",
		"INSECURE: certificate not verified (insecure_skip_verify)",
		"a connection per attempt, 1,234 new",
		": connect (TCP)</td><td>1,234</td><td>51.0 ms",
		": TLS handshake</td><td>1,234</td><td>102 ms",
		": time to first byte",
	} {
		if !strings.Contains(string(page), w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if len(r.Points[0].Subscribers) > 1 && !strings.Contains(string(page), "accounted from its ledger, e2e is intended → processing done; its clock differs by -1.50 ms (± 0.400 ms)") {
		t.Errorf("report lacks the sink-ledger description")
	}
}
