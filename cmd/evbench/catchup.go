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
