package netlinks

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

func point(system string, network map[string]results.NetworkLink, subs map[string][2]int64) results.Point {
	p := results.Point{System: system, Status: results.StatusComplete, OfferedPerS: 100, Network: network}
	for _, name := range []string{"a", "b"} {
		l := subs[name]
		p.Subscribers = append(p.Subscribers, results.Subscriber{Name: name,
			E2E: results.Latency{LatencyUS: results.Summary{Count: 1000, P50: l[0], P99: l[1]}}})
	}
	return p
}

// TestSection: the claims are stated beside the measured figures of each
// subscriber and the links they crossed; Kafka's overhead is the signed
// difference to webhook per subscriber.
func TestSection(t *testing.T) {
	r := &results.Results{Schema: results.Schema, Points: []results.Point{
		point("webhook", map[string]results.NetworkLink{
			results.LinkWebhookPrefix + "a": {Profile: "internet", Spec: "{latency: 39ms}"},
			results.LinkWebhookPrefix + "b": {Profile: "flaky-internet", Spec: "{latency: 39ms}", Partitions: []string{"2s+1s"}},
		}, map[string][2]int64{"a": {45_000, 90_000}, "b": {47_000, 160_000}}),
		point("kafka", map[string]results.NetworkLink{
			results.LinkProducer:          {Profile: "cross-zone", Spec: "{latency: 1ms}"},
			results.LinkGroupPrefix + "a": {Profile: "same-zone", Spec: "{latency: 225us}"},
		}, map[string][2]int64{"a": {8_000, 20_000}, "b": {9_000, 30_000}}),
	}}
	sec, ok := Section(r)
	if !ok {
		t.Fatal("no section for a run with links")
	}
	text := strings.Join(sec.Paragraphs, "\n")
	for _, want := range []string{
		`Claim: "webhook delivery takes 10-100 ms end to end depending on network"`,
		"a (internet) p50 45.0 ms, p99 90.0 ms; b (flaky-internet, partitions 2s+1s) p50 47.0 ms, p99 160.0 ms",
		"2 of 2 webhook subscribers had their p50 within 10-100 ms and 1 of 2 their p99",
		`Claim: "Kafka adds slight overhead"`,
		"a p50 -37.0 ms (8.0 ms over producer cross-zone, group same-zone vs 45.0 ms over internet), p99 -70.0 ms",
		"b p50 -38.0 ms (9.0 ms over producer cross-zone, group none vs 47.0 ms over flaky-internet, partitions 2s+1s), p99 -130.0 ms",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("paragraphs lack %q:\n%s", want, text)
		}
	}
	if len(sec.Tables) != 2 || len(sec.Tables[0].Rows) != 4 || len(sec.Tables[1].Rows) != 4 {
		t.Fatalf("tables %+v", sec.Tables)
	}
	if got := strings.Join(sec.Tables[0].Rows[1], "|"); got != "webhook|b|flaky-internet, partitions 2s+1s|1000|47.0 ms|160.0 ms|yes|no" {
		t.Errorf("latency row %q", got)
	}
	if got := strings.Join(sec.Tables[1].Rows[0], "|"); got != "webhook|webhook->a|internet|{latency: 39ms}|" {
		t.Errorf("link row %q", got)
	}
	// A run without links has no section: its claims would be about the lab.
	r.Points[0].Network, r.Points[1].Network = nil, nil
	if _, ok := Section(r); ok {
		t.Error("a section for a run without links")
	}
}

// TestBridgePath: a bridge subscriber's path names the ingress link too.
func TestBridgePath(t *testing.T) {
	p := point("bridge", map[string]results.NetworkLink{
		results.LinkIngress:           {Profile: "internet"},
		results.LinkGroupPrefix + "a": {Spec: "{latency: 2ms}"},
	}, nil)
	if got, want := pathLabel(p, "a"), "ingress internet, producer none, group inline {latency: 2ms}"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}
