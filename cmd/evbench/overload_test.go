package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestOverloadedSummary is issue 9 item 4 at the CLI: an overloaded point
// is named by overloadedPoints (which makes `evbench run` exit 3) and the
// summary says so loudly. The end-to-end figure (200,000/s offered, a 5 s
// schedule emitted in 32.9 s, exit 3) is in the commit message: it needs
// more CPU than a unit test should take.
func TestOverloadedSummary(t *testing.T) {
	res := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Points: []results.Point{
		{System: "webhook", Status: results.StatusComplete, OfferedPerS: 200000, AchievedPerS: 30414, EmittedS: 32.9, DurationS: 5,
			Overloaded: true, OverloadReason: "the generator took 32.9 s to emit a 5.0 s schedule"},
		{System: "kafka", Status: results.StatusComplete, OfferedPerS: 200000, AchievedPerS: 200000, DurationS: 5},
	}}
	if got := overloadedPoints(res); len(got) != 1 || got[0] != "webhook at 200000/s offered" {
		t.Fatalf("overloadedPoints = %q, want only webhook", got)
	}
	var b bytes.Buffer
	printSummary(&b, res)
	want := "** OVERLOADED webhook at 200000/s offered: achieved only 30414/s; the generator took 32.9 s to emit a 5.0 s schedule."
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), "OVERLOADED kafka") {
		t.Errorf("summary:\n%s\nwant the line %q for webhook only", b.String(), want)
	}
}
