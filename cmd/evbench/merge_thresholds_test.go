package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestMergeThresholdsParsedOnce: evbench merge reads the scenario's
// thresholds parsed, once; one that does not parse is an error. Before,
// they were kept as strings and every merged point reported the bad one as
// failing with value 0, a failure that named no cause.
func TestMergeThresholdsParsedOnce(t *testing.T) {
	p := &results.Point{System: "webhook", Status: results.StatusComplete, Subscribers: []results.Subscriber{
		{Accounting: results.Accounting{Sent: 10, Delivered: 8, Lost: 2}}}}
	tests := []struct {
		scenario string
		want     []results.Threshold
		err      string
	}{
		{`{"name": "x"}`, nil, ""},
		{`{"thresholds": ["lost<=2", "lost_ratio < 10%"]}`, []results.Threshold{{Expr: "lost<=2", Value: 2, Pass: true}, {Expr: "lost_ratio < 10%", Value: 0.2}}, ""},
		{`{"thresholds": ["lost == 0", "e2e.p99 < 5"]}`, nil, `threshold "e2e.p99 < 5"`},
		{`{"thresholds": "lost == 0"}`, nil, "scenario thresholds"},
	}
	for _, tc := range tests {
		f, err := mergeThresholds(&results.Results{Scenario: json.RawMessage(tc.scenario)})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.scenario, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.scenario, err)
		}
		var got []results.Threshold
		if f != nil {
			got = f(p)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %+v, want %+v", tc.scenario, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: [%d] = %+v, want %+v", tc.scenario, i, got[i], tc.want[i])
			}
		}
	}
}
