package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestSummaryShowsCatchUp: the terminal summary gives a late consumer
// group's catch-up, in scenario time too when time-compressed, and says so
// when it never caught up.
func TestSummaryShowsCatchUp(t *testing.T) {
	res := &results.Results{Status: results.StatusComplete, Points: []results.Point{{System: "kafka", Status: results.StatusComplete,
		Subscribers: []results.Subscriber{
			{Name: "late", CatchUp: &results.CatchUp{JoinS: 3, CaughtUp: true, CaughtUpS: 3.37, CatchUpS: 0.37, TimeScale: 3600, BacklogAtJoin: 1200, Replayed: 900, ReplayPerS: 3008}},
			{Name: "stuck", CatchUp: &results.CatchUp{JoinS: 3, BacklogAtJoin: 1200, Replayed: 10}},
			{Name: "ontime"},
		}}}}
	var b bytes.Buffer
	printSummary(&b, res)
	out := b.String()
	for _, w := range []string{
		"catch-up kafka late: joined at 3.00s (3h0m0s scenario time) from the earliest retained offset, 1200 records behind; caught up 0.37s later (22m12s scenario time), replaying 900 events from before the join at 3008 records/s",
		"catch-up kafka stuck: joined at 3.00s from the earliest retained offset, 1200 records behind; not caught up by the end of the drain (replayed 10 events from before the join)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "catch-up kafka ontime") {
		t.Errorf("an on-time group got a catch-up line:\n%s", out)
	}
}

// TestSummaryShowsParallelRun: the summary gives a parallel run's sets and
// both paths' latency per subscriber.
func TestSummaryShowsParallelRun(t *testing.T) {
	res := &results.Results{Status: results.StatusComplete, Points: []results.Point{{System: "bridge", Status: results.StatusComplete,
		ParallelRun: []results.ParallelSubscriber{{Name: "billing", Old: "billing@webhook", New: "billing", Sent: 600, Both: 400, OnlyNew: 200,
			OldE2E: results.Summary{P50: 298, P99: 20111}, NewE2E: results.Summary{P50: 7599, P99: 973823}}}}}}
	var b bytes.Buffer
	printSummary(&b, res)
	want := "parallel run bridge billing: of 600 events, 400 delivered on both paths, 0 only by the legacy webhook (billing@webhook), 200 only by Kafka (billing), 0 by neither; e2e p50/p99 webhook 0.3ms/20.1ms, kafka 7.6ms/973.8ms"
	if !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}
