package html

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

func latencyOf(t *testing.T, us ...int64) results.Latency {
	t.Helper()
	h := results.NewHistogram()
	for _, v := range us {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	l, err := results.NewLatency(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestFlowDiagram: a run with a flow gets a flows section whose SVG draws
// every service and labels every hop with its p50/p99 and loss.
func TestFlowDiagram(t *testing.T) {
	r := fixture.Realistic()
	whole := results.FlowRoute{Name: "f", To: []string{"inv", "ship"}, Hops: []string{"created", "paid"}, Completed: 9, Lost: 1,
		E2E: latencyOf(t, 5000, 9000), CriticalEnd: "ship", CriticalPath: []string{"created", "paid"}, CriticalShare: 1}
	r.Flows = []results.Flow{{Name: "f", Entry: "order", Status: results.StatusComplete, Events: 10,
		Hops: []results.FlowHop{
			{Name: "created", From: "order", To: []string{"inv", "pay"}, Via: "kafka", Sent: 20, Delivered: 20,
				Latency: latencyOf(t, 1200, 3400), SinceIntended: latencyOf(t, 2000, 4000)},
			{Name: "paid", From: "pay", To: []string{"ship"}, Via: "webhook", Sent: 10, Delivered: 9, Lost: 1,
				Latency: latencyOf(t, 700), SinceIntended: latencyOf(t, 9000)},
		},
		Whole: whole, Routes: []results.FlowRoute{whole}}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{"Multi-hop flows", "<svg", ">order<", ">inv<", ">pay<", ">ship<", "created (kafka)", "paid (webhook)",
		"lost 1 of 10", "lost 0 of 20", "p50 1.2", "p99 3.4", "end to end (whole flow)", "created -&gt; paid -&gt; ship"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if err := checkSVG(flowSVG(r.Flows[0])); err != nil {
		t.Error(err)
	}
}
