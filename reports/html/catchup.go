package html

import (
	"fmt"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// catchUpRow shows one late Kafka or bridge consumer group
// (subscribers[].join_at): when it joined, when it was back to steady
// state, and how fast it replayed the history (results.CatchUp).
type catchUpRow struct {
	Name, Join, Assigned, CaughtUp, CatchUp string
	Replayed, Backlog, ReplayRate, PeakLag  string
	Late                                    bool // never caught up
}

// lossRow says where a subscriber's lost events went (lost_by) and how
// many events it was never subscribed to (join_at under webhooks).
type lossRow struct{ Name, Text string }

// seconds shows real seconds from the measured start, and the scenario
// time when the run was time-compressed.
func seconds(s, scale float64) string {
	t := fmt.Sprintf("%.2f s", s)
	if scale > 1 {
		t += fmt.Sprintf(" (%v scenario time, time-compressed x%g)", time.Duration(s*scale*float64(time.Second)).Round(time.Second), scale)
	}
	return t
}

func catchUpRowOf(name string, c *results.CatchUp) catchUpRow {
	row := catchUpRow{Name: name, Join: seconds(c.JoinS, c.TimeScale), Replayed: count(c.Replayed), Backlog: count(c.BacklogAtJoin),
		Assigned: "never", CaughtUp: "not by the end of the drain", CatchUp: "—", ReplayRate: "—", Late: !c.CaughtUp}
	if c.AssignedS > 0 {
		row.Assigned = fmt.Sprintf("%.2f s", c.AssignedS)
	}
	if c.CaughtUp {
		row.CaughtUp = fmt.Sprintf("%.2f s", c.CaughtUpS)
		row.CatchUp = seconds(c.CatchUpS, c.TimeScale)
		if c.ReplayPerS > 0 {
			row.ReplayRate = rate(c.ReplayPerS)
		}
	}
	var peak results.LagSample
	for _, s := range c.Lag {
		if s.Records > peak.Records {
			peak = s
		}
	}
	row.PeakLag = fmt.Sprintf("%s records at %.2f s", count(peak.Records), peak.TS)
	return row
}

func lossRowOf(s results.Subscriber) *lossRow {
	a := s.Accounting
	var parts []string
	if c := a.LostBy; c.Total() > 0 {
		for _, p := range []struct {
			n    int64
			what string
		}{{c.RetriesExhausted, "retries exhausted"}, {c.EndpointGone, "endpoint gone (410)"}, {c.QueueOverflow, "queue overflow"},
			{c.RetentionExpired, "retention expired"}, {c.NotDelivered, "not delivered by the end of the drain"}} {
			if p.n > 0 {
				parts = append(parts, count(p.n)+" "+p.what)
			}
		}
		parts = []string{fmt.Sprintf("lost %s = %s", count(a.Lost), strings.Join(parts, " + "))}
	}
	if a.NotSubscribed > 0 {
		parts = append(parts, fmt.Sprintf("%s events from before it joined (join_at) were never sent to it: not subscribed, not lost", count(a.NotSubscribed)))
	}
	if len(parts) == 0 {
		return nil
	}
	return &lossRow{Name: s.Name, Text: strings.Join(parts, "; ")}
}

// parallelRow is one subscriber of a migration's parallel run: its two
// delivery paths' sets and latencies side by side (results.ParallelSubscriber).
type parallelRow struct {
	Name, Sent, Both, OnlyOld, OnlyNew, Neither string
	OldP50, OldP99, NewP50, NewP99              string
	Differs                                     bool
}

func parallelRowOf(r results.ParallelSubscriber) parallelRow {
	return parallelRow{Name: r.Name, Sent: count(r.Sent), Both: count(r.Both), OnlyOld: count(r.OnlyOld), OnlyNew: count(r.OnlyNew), Neither: count(r.Neither),
		OldP50: ms(r.OldE2E.P50), OldP99: ms(r.OldE2E.P99), NewP50: ms(r.NewE2E.P50), NewP99: ms(r.NewE2E.P99),
		Differs: r.OnlyOld > 0 || r.OnlyNew > 0 || r.Neither > 0}
}
