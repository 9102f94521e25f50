package main

import (
	"fmt"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// catchUpLine summarises a late consumer group's catch-up (join_at under
// Kafka or the bridge) in one line of the run summary.
func catchUpLine(system, name string, c *results.CatchUp) string {
	scen := func(s float64) string {
		if c.TimeScale <= 1 {
			return ""
		}
		return fmt.Sprintf(" (%v scenario time)", time.Duration(s*c.TimeScale*float64(time.Second)).Round(time.Second))
	}
	head := fmt.Sprintf("catch-up %s %s: joined at %.2fs%s from the earliest retained offset, %d records behind; ", system, name, c.JoinS, scen(c.JoinS), c.BacklogAtJoin)
	if !c.CaughtUp {
		return head + fmt.Sprintf("not caught up by the end of the drain (replayed %d events from before the join)", c.Replayed)
	}
	return head + fmt.Sprintf("caught up %.2fs later%s, replaying %d events from before the join at %.0f records/s", c.CatchUpS, scen(c.CatchUpS), c.Replayed, c.ReplayPerS)
}

// parallelLine summarises one subscriber of a migration's parallel run.
func parallelLine(system string, r results.ParallelSubscriber) string {
	ms := func(us int64) string { return fmt.Sprintf("%.1fms", float64(us)/1000) }
	return fmt.Sprintf("parallel run %s %s: of %d events, %d delivered on both paths, %d only by the legacy webhook (%s), %d only by Kafka (%s), %d by neither; e2e p50/p99 webhook %s/%s, kafka %s/%s",
		system, r.Name, r.Sent, r.Both, r.OnlyOld, r.Old, r.OnlyNew, r.New, r.Neither, ms(r.OldE2E.P50), ms(r.OldE2E.P99), ms(r.NewE2E.P50), ms(r.NewE2E.P99))
}
