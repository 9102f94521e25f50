package html

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// TestReportShowsCatchUpAndLossCauses: a late Kafka group's catch-up (in
// real and scenario time when compressed) and every subscriber's loss
// causes and not_subscribed count are on the page (issue 12 items 1, 3).
func TestReportShowsCatchUpAndLossCauses(t *testing.T) {
	r := fixture.Realistic()
	var kafka *results.Point
	for i := range r.Points {
		if r.Points[i].System == "kafka" {
			kafka = &r.Points[i]
		}
	}
	if kafka == nil || len(kafka.Subscribers) == 0 {
		t.Fatal("fixture has no kafka subscriber")
	}
	s := &kafka.Subscribers[0]
	s.CatchUp = &results.CatchUp{JoinS: 2, AssignedS: 2.1, CaughtUp: true, CaughtUpS: 2.5, CatchUpS: 0.5, CatchUpScenarioS: 18000, TimeScale: 36000,
		BacklogAtJoin: 812, Replayed: 800, CatchUpRecords: 900, ReplayPerS: 2250, Lag: []results.LagSample{{TS: 1.9, Records: 790}, {TS: 2.2, Records: 400}, {TS: 3, Records: 0}}}
	a := &s.Accounting
	a.Lost, a.Delivered = 6, a.Sent-6
	a.LostBy = results.LossCauses{RetentionExpired: 6}
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	p := string(page)
	for _, want := range []string{
		`<table class="catchup">`,
		"<td>" + s.Name + "</td><td>2.00 s (20h0m0s scenario time, time-compressed x36000)</td><td>2.10 s</td><td>2.50 s</td><td>0.50 s (5h0m0s scenario time, time-compressed x36000)</td><td>812</td><td>800</td>",
		"790 records at 1.90 s",
		s.Name + ": lost 6 = 6 retention expired",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(p, `<table class="catchup">`) != 1 {
		t.Errorf("want exactly one catch-up table (one late group)")
	}
}

// TestReportShowsParallelRun: a migration's parallel run comparison is a
// table with both paths' sets and latencies.
func TestReportShowsParallelRun(t *testing.T) {
	r := fixture.Realistic()
	p := &r.Points[0]
	p.ParallelRun = []results.ParallelSubscriber{{Name: "billing", Old: "billing@webhook", New: "billing", Sent: 600, Both: 400, OnlyNew: 200,
		OldE2E: results.Summary{Count: 400, P50: 298, P99: 20111}, NewE2E: results.Summary{Count: 600, P50: 7599, P99: 973823}}}
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `<tr><td>billing</td><td>600</td><td>400</td><td class="bad">0</td><td class="bad">200</td><td>0</td><td>0.298 ms</td><td>20.1 ms</td><td>7.60 ms</td><td>974 ms</td></tr>`
	if !strings.Contains(string(page), want) {
		t.Errorf("report lacks the parallel run row %s", want)
	}
}
