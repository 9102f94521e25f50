package compare

import (
	"testing"

	"github.com/evbench/evbench/reports/results"
)

func phasesOf(t *testing.T, keep bool, conns int64, connect, tls, ttfb []int64) *results.AttemptPhases {
	t.Helper()
	lat := func(vs []int64) results.Latency {
		h := results.NewHistogram()
		for _, v := range vs {
			_ = h.RecordValue(v)
		}
		l, err := results.NewLatency(h)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	return &results.AttemptPhases{KeepAlive: keep, NewConnections: conns, Connect: lat(connect), TLS: lat(tls), TTFB: lat(ttfb)}
}

// TestMergePhasesAndEndpoint: attempt phases add up exactly across runs,
// and a merged endpoint keeps the worst clock skew and any insecurity.
func TestMergePhasesAndEndpoint(t *testing.T) {
	a := phasesOf(t, false, 2, []int64{100, 200}, []int64{1000, 2000}, []int64{50, 60})
	b := phasesOf(t, false, 1, []int64{300}, []int64{3000}, []int64{70})
	m, err := mergePhases(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.NewConnections != 3 || m.Connect.LatencyUS.Count != 3 || m.TLS.LatencyUS.Max < 2999 || m.TTFB.LatencyUS.Count != 3 || a.NewConnections != 2 {
		t.Fatalf("merged %+v (a now %+v)", m, a)
	}
	if _, err := mergePhases(a, phasesOf(t, true, 0, []int64{0}, []int64{0}, []int64{1})); err == nil {
		t.Error("merged keep-alive with per-delivery phases")
	}
	s1, b1, s2, b2, n1, n2 := int64(-300), int64(100), int64(2000), int64(500), int64(10), int64(20)
	e := mergeEndpoint(&results.Endpoint{URL: "u", Mode: results.EndpointSinkLedger, ClockSkewUS: &s1, ClockSkewBoundUS: &b1, LedgerIDs: &n1},
		&results.Endpoint{URL: "u", Mode: results.EndpointSinkLedger, ClockSkewUS: &s2, ClockSkewBoundUS: &b2, LedgerIDs: &n2, InsecureSkipVerify: true})
	if *e.ClockSkewUS != 2000 || *e.ClockSkewBoundUS != 500 || *e.LedgerIDs != 30 || !e.InsecureSkipVerify || s1 != -300 || n1 != 10 {
		t.Fatalf("merged endpoint %+v skew %d bound %d ids %d", e, *e.ClockSkewUS, *e.ClockSkewBoundUS, *e.LedgerIDs)
	}
}
