package kafka

import (
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestLateGroupReplaysHistory: a consumer group joining at 50% of the run
// starts from the earliest offset (start_offset latest notwithstanding),
// replays every event from before its join, loses nothing, and reports a
// catch-up time; the on-time group is unaffected.
func TestLateGroupReplaysHistory(t *testing.T) {
	noteRealBroker(t)
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) { lateGroupReplaysHistory(t, tg.brokers) })
	}
}

func lateGroupReplaysHistory(t *testing.T, brokers string) {
	sc := testScenario("latejoin", brokers, scOpts{
		rate: 400, warmup: 200 * time.Millisecond, duration: 4 * time.Second, drain: 20 * time.Second,
		subs: 2, members: 2, partitions: 4, acks: AcksAll, processing: 200 * time.Microsecond,
	})
	join := 2 * time.Second
	sc.Subscribers[1].JoinAt = scenarios.Duration(join)
	res := runPoint(t, &Runner{}, sc)
	sent := expectedSent(sc)
	for _, s := range res.Subscribers {
		a := s.Accounting
		if err := a.Check(); err != nil {
			t.Fatal(err)
		}
		if a.Sent != sent || a.Delivered != sent || a.Lost != 0 || a.NotSubscribed != 0 {
			t.Errorf("%s: %+v; want all %d sent events delivered, none lost or not_subscribed", s.Name, a, sent)
		}
	}
	if c := res.Subscribers[0].CatchUp; c != nil {
		t.Errorf("on-time group has a catch-up: %+v", c)
	}
	c := res.Subscribers[1].CatchUp
	if c == nil {
		t.Fatal("late group has no catch_up in results")
	}
	t.Logf("catch-up: %+v (lag samples %d)", *c, len(c.Lag))
	if !c.CaughtUp || c.JoinS != join.Seconds() {
		t.Fatalf("caught up %v, join %.2fs; want caught up, join 2s", c.CaughtUp, c.JoinS)
	}
	// History: the events intended in [0, join) (the rate is constant), give
	// or take one at the boundary.
	wantReplayed := int64(float64(sc.Load.Rate) * join.Seconds())
	if c.Replayed < wantReplayed-2 || c.Replayed > wantReplayed+2 {
		t.Errorf("replayed %d, want ~%d (the measured events before the join)", c.Replayed, wantReplayed)
	}
	// Warm-up records are in the log too: backlog >= the replayed history.
	if c.BacklogAtJoin < wantReplayed-2 {
		t.Errorf("backlog at join %d < %d events intended before it", c.BacklogAtJoin, wantReplayed)
	}
	// The group can only catch up after it joined and must, with 4
	// partitions at 0.2 ms per record, replay 800 records in well under
	// the remaining 2 s of load plus the drain.
	if c.CatchUpS <= 0 || c.CaughtUpS < c.AssignedS || c.AssignedS < c.JoinS || c.CatchUpS > 15 {
		t.Errorf("catch-up %.3fs (join %.3f, assigned %.3f, caught up %.3f): want join <= assigned <= caught up, within the run", c.CatchUpS, c.JoinS, c.AssignedS, c.CaughtUpS)
	}
	// Caught up means back to steady state: the group has replayed the
	// backlog it joined behind but for at most 150 ms of arrivals (a group
	// 360 records, nearly a second, behind once counted as caught up).
	slack := int64(float64(sc.Load.Rate)*0.15) + 5
	if c.CatchUpRecords < c.BacklogAtJoin-slack {
		t.Errorf("caught up after %d records of the %d the group joined behind: want at least %d", c.CatchUpRecords, c.BacklogAtJoin, c.BacklogAtJoin-slack)
	}
	if c.ReplayPerS <= float64(sc.Load.Rate) {
		t.Errorf("catch-up records %d at %.0f/s: replaying history must outpace the %v/s arrival rate", c.CatchUpRecords, c.ReplayPerS, sc.Load.Rate)
	}
	// The lag series rises until the join, then falls back.
	var peak int64
	var peakT float64
	for _, s := range c.Lag {
		if s.Records > peak {
			peak, peakT = s.Records, s.TS
		}
	}
	last := c.Lag[len(c.Lag)-1]
	if peak < wantReplayed/2 || peakT < c.JoinS-0.5 || peakT > c.CaughtUpS+0.5 || last.Records > peak/10 {
		t.Errorf("lag series: peak %d at %.2fs, last %d at %.2fs; want a peak near the join and the lag back down", peak, peakT, last.Records, last.TS)
	}
}
