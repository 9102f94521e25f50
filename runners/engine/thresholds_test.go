package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// thresholdYAML enables webhook and kafka so every metric family (attempt.*
// and publish.* included) is accepted by validation.
const thresholdYAML = `name: t
load: {rate: 100/s, duration: 1s}
subscribers:
  - name: w
systems: {webhook: {}, kafka: {}}
thresholds:
  - %q
`

// thresholdPoint has a known value for every metric: e2e p99 is 40ms on
// the worst of two subscribers, attempt max 2s, publish p50 3ms, generator
// lag p99 750µs, 950/s achieved, 1000 sent with 4 lost (0.4%), 2
// duplicates, 1 dead-lettered, 6 retries, 0 out of order.
func thresholdPoint() *results.Point {
	lat := func(p50, p99, max int64) results.Latency {
		return results.Latency{LatencyUS: results.Summary{Count: 100, Mean: float64(p50), P50: p50, P90: p99 / 2, P99: p99, P999: max, Max: max}}
	}
	a1, a2 := lat(500, 30_000, 2_000_000), lat(700, 10_000, 1_500_000)
	return &results.Point{
		System: "webhook", Status: results.StatusComplete, AchievedPerS: 950,
		GeneratorLagUS: results.Lag{P99: 750, Max: 1200},
		Publish:        new(lat(3000, 9000, 20_000)),
		Subscribers: []results.Subscriber{
			{Name: "a", E2E: lat(1000, 40_000, 90_000), Attempt: &a1,
				Accounting: results.Accounting{Sent: 500, Delivered: 497, Lost: 3, Duplicates: 2, Retries: 4, DeadLettered: 1}},
			{Name: "b", E2E: lat(900, 20_000, 50_000), Attempt: &a2,
				Accounting: results.Accounting{Sent: 500, Delivered: 499, Lost: 1, Retries: 2}},
		},
	}
}

// TestThresholdsParsedOnceAtLoad is issue 8 item 5: every threshold the
// loader accepts reaches Evaluate as a parsed expression (the same value
// ParseExpr gives, with the text kept as written for results.json), and an
// invalid one is a load error at its file:line:column. Before, the loader
// kept strings and Evaluate parsed each one again per point, reporting
// one that did not parse as a failure with value 0.
func TestThresholdsParsedOnceAtLoad(t *testing.T) {
	tests := []struct {
		expr  string
		value float64
		pass  bool
	}{
		{"e2e.p99 < 50ms", 40_000, true},
		{"e2e.p99<30ms", 40_000, false},
		{"  e2e.p50 <= 1ms ", 1000, true},
		{"e2e.p90 > 10ms", 20_000, true},
		{"e2e.p999 >= 90ms", 90_000, true},
		{"e2e.max != 90ms", 90_000, false},
		{"e2e.mean == 1ms", 1000, true},
		{"attempt.max < 1.5s", 2_000_000, false},
		{"attempt.p99 < 1m", 30_000, true},
		{"attempt.mean < 700us", 700, false},
		{"attempt.p50 <= 700us", 700, true},
		{"attempt.p90 < 15ms", 15_000, false},
		{"attempt.p999 <= 2s", 2_000_000, true},
		{"publish.p50 <= 3ms", 3000, true},
		{"publish.p90 == 4.5ms", 4500, true},
		{"publish.p999 < 20ms", 20_000, false},
		{"publish.max <= 0.02s", 20_000, true},
		{"publish.mean > 0", 3000, true},
		{"publish.p99 < 9000us", 9000, false},
		{"generator_lag.p99 < 1ms", 750, true},
		{"generator_lag.max < 1ms", 1200, false},
		{"achieved_per_s >= 900/s", 950, true},
		{"achieved_per_s >= 60000/min", 950, false},
		{"lost == 0", 4, false},
		{"lost <= 4", 4, true},
		{"lost_ratio <= 0.5%", 0.004, true},
		{"lost_ratio < 0.001", 0.004, false},
		{"duplicates == 2", 2, true},
		{"dead_lettered < 1", 1, false},
		{"retries <= 1e3", 6, true},
		{"out_of_order == 0", 0, true},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			sc, err := scenarios.LoadBytes("t.yaml", fmt.Appendf(nil, thresholdYAML, tc.expr))
			if err != nil {
				t.Fatal(err)
			}
			want, err := scenarios.ParseExpr(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Thresholds) != 1 || sc.Thresholds[0].Expr != want || sc.Thresholds[0].Source != tc.expr {
				t.Fatalf("loaded %+v, want %+v with source %q", sc.Thresholds, want, tc.expr)
			}
			covered[want.Metric] = true
			// The clone the engine hands to each point keeps it parsed.
			got := Evaluate(sc.Clone().Thresholds, thresholdPoint())
			if len(got) != 1 {
				t.Fatalf("Evaluate = %+v, want one result", got)
			}
			if g := got[0]; g.Expr != tc.expr || g.Value != tc.value || g.Pass != tc.pass || g.NoData {
				t.Errorf("Evaluate = %+v, want {Expr:%q Value:%v Pass:%v}", g, tc.expr, tc.value, tc.pass)
			}
		})
	}
	for _, m := range scenarios.Metrics() {
		if !covered[m] {
			t.Errorf("metric %s is not in the table", m)
		}
	}

	// Evaluate uses the parsed expression, never the text: a threshold
	// whose source says something else is still evaluated as parsed.
	th := scenarios.MustThreshold("lost == 0")
	th.Source = "shown as written"
	if got := Evaluate([]scenarios.Threshold{th}, thresholdPoint()); len(got) != 1 || got[0].Expr != "shown as written" || got[0].Value != 4 || got[0].Pass {
		t.Errorf("Evaluate = %+v, want the parsed lost == 0 failing with 4, shown as written", got)
	}

	bad := []struct{ expr, msg string }{
		{"e2e.p99 < 500", "has no unit"},
		{"e2e.p98 < 5ms", `unknown metric "e2e.p98"`},
		{"lost = 0", "expected a comparison"},
		{"lost_ratio < 2", "more than 1"},
		{"", "does not start with a metric"},
	}
	for _, tc := range bad {
		_, err := scenarios.LoadBytes("t.yaml", fmt.Appendf(nil, thresholdYAML, tc.expr))
		var pe *scenarios.Error
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "t.yaml:7:5: thresholds[0]: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: load error %v, want t.yaml:7:5: thresholds[0]: ...%s", tc.expr, err, tc.msg)
		}
	}
}

// TestFindMaxSLOParsedAtLoad: sweep.find_max.slo is parsed by the loader
// too; the saturation search takes the parsed SLO, results record its text.
func TestFindMaxSLOParsedAtLoad(t *testing.T) {
	const y = `name: t
load: {rate: 100/s, duration: 1s}
subscribers: [{name: w}]
systems: {webhook: {}}
sweep:
  find_max: {slo: %q}
`
	sc, err := scenarios.LoadBytes("t.yaml", fmt.Appendf(nil, y, "e2e.p99<100ms"))
	if err != nil {
		t.Fatal(err)
	}
	if slo := sc.Sweep.FindMax.SLO; slo.Metric != "e2e.p99" || slo.Op != "<" || slo.Value != 100_000 || slo.Source != "e2e.p99<100ms" {
		t.Errorf("slo = %+v", slo)
	}
	_, err = scenarios.LoadBytes("t.yaml", fmt.Appendf(nil, y, "e2e.p99 < 100"))
	if err == nil || !strings.HasPrefix(err.Error(), "t.yaml:6:19: sweep.find_max.slo: ") || !strings.Contains(err.Error(), "has no unit") {
		t.Errorf("load error %v, want t.yaml:6:19: sweep.find_max.slo: ... has no unit", err)
	}
}
