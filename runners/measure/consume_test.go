package measure_test

import (
	"context"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// TestFinishConsumer: a producer shard 0 of 2 runs the schedule; a
// consumer point built from the same plan (as `evbench consume` builds
// it: a generator that never runs) records the deliveries of every
// measured event of shard 0's, one twice, and warm-up events. Its point
// has the producers' id base and stride, an empty sent set, a delivered
// set of exactly the measured events processed, one duplicate, nothing
// lost, and no offered load.
func TestFinishConsumer(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: 1000, Warmup: scenarios.Duration(100 * time.Millisecond), Duration: scenarios.Duration(300 * time.Millisecond)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 4, Seed: 5}}
	at := time.Now().Add(50 * time.Millisecond)
	load.SetPlan(&load.Plan{Shard: load.Shard{Index: 0, Count: 2}, StartAt: at})
	prodGen, err := load.New(sc)
	load.SetPlan(nil)
	if err != nil {
		t.Fatal(err)
	}
	load.SetPlan(&load.Plan{Shard: load.Shard{Index: 0, Count: 2}, StartAt: at})
	consGen, err := load.New(sc)
	load.SetPlan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if prodGen.IDBase() != consGen.IDBase() {
		t.Fatalf("id bases %d and %d: a consumer could not key the producers' events", prodGen.IDBase(), consGen.IDBase())
	}
	fresh, err := load.NewSchedule(sc.Load, sc.Event.Seed)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := measure.MeasuredSeqs(fresh)
	if lo != 100 || hi != 400 {
		t.Fatalf("measured range [%d, %d), want [100, 400) at 1000/s with 100 ms warm-up and 300 ms measured", lo, hi)
	}
	mp := measure.NewPoint("kafka", consGen, []string{"orders"}, sc.Event.Keys)
	mp.MeasureFromSeq(lo)
	// The consumer's clock is 3 ms behind the producer's: the events of
	// the warm-up boundary are still told apart by sequence number.
	start := consGen.StartAt(load.Now()) - int64(3*time.Millisecond)
	mp.Start(start)
	var measured int64
	prodGen.Run(context.Background(), prodGen.StartAt(load.Now()), func(e load.Event) {
		mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now())
		if !e.Warmup {
			measured++
			if measured == 1 {
				mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now()) // a redelivery
			}
		}
	})
	p, err := mp.FinishConsumer(lo, hi, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if measured != prodGen.Measured() || measured < 140 {
		t.Fatalf("%d measured events, the generator says %d", measured, prodGen.Measured())
	}
	if p.IDs == nil || p.IDs.Stride != 2 || p.IDs.Sent != "" {
		t.Fatalf("ids %+v: want the stride 2 and an empty sent set", p.IDs)
	}
	if base, err := p.IDs.BaseID(); err != nil || base != prodGen.IDBase() {
		t.Fatalf("id base %v (%v), the producers' %d", base, err, prodGen.IDBase())
	}
	s := p.Subscribers[0]
	if a := s.Accounting; a.Sent != measured || a.Delivered != measured || a.Duplicates != 1 || a.Lost != 0 {
		t.Fatalf("accounting %+v, want %d sent and delivered, 1 duplicate, none lost", a, measured)
	}
	set, err := results.DecodeIDSet(s.DeliveredIDs)
	if err != nil {
		t.Fatal(err)
	}
	want := results.NewIDSet()
	for q := lo; q < hi; q += 2 {
		want.Add(results.IDKey(q, 2))
	}
	if !set.Equals(want) {
		t.Fatalf("delivered set has %d events, want shard 0's %d measured ones", set.GetCardinality(), want.GetCardinality())
	}
	if s.E2E.LatencyUS.Count != measured {
		t.Fatalf("histogram holds %d values for %d deliveries", s.E2E.LatencyUS.Count, measured)
	}
	for _, smp := range p.Timeseries {
		if smp.Offered != 0 {
			t.Fatalf("a consumer's time series offers %v/s", smp.Offered)
		}
	}
}
