package measure_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// TestFinishWritesIDSets runs shard 1 of 3 of a short point: subscriber
// "all" processes every event, "most" skips every 10th of the shard's
// events. The results carry the id base, the stride, the sent set and each
// subscriber's delivered set, which agree with the accounting and name
// exactly the events processed.
func TestFinishWritesIDSets(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: 1500, Warmup: scenarios.Duration(100 * time.Millisecond), Duration: scenarios.Duration(400 * time.Millisecond)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 4, Seed: 3}}
	at := time.Now().Add(50 * time.Millisecond)
	load.SetPlan(&load.Plan{Shard: load.Shard{Index: 1, Count: 3}, StartAt: at})
	defer load.SetPlan(nil)
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"all", "most"}, sc.Event.Keys)
	start := gen.StartAt(load.Now())
	mp.Start(start)
	skipped := map[uint64]bool{}
	var n int
	gen.Run(context.Background(), start, func(e load.Event) {
		mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now())
		if n++; n%10 == 0 && !e.Warmup {
			skipped[e.Seq] = true
			return
		}
		mp.Subs[1].Delivered(e.ID, e.Key, e.Intended, load.Now())
	})
	res, err := mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Shard == nil || res.Shard.Index != 1 || res.Shard.Count != 3 || !res.Shard.StartAt.Equal(at) {
		t.Fatalf("shard block %+v", res.Shard)
	}
	if res.IDs == nil || res.IDs.Stride != 3 || res.IDs.Base != strconv.FormatUint(gen.IDBase(), 10) {
		t.Fatalf("ids block %+v (id base %d)", res.IDs, gen.IDBase())
	}
	sent, err := results.DecodeIDSet(res.IDs.Sent)
	if err != nil {
		t.Fatal(err)
	}
	if int64(sent.GetCardinality()) != gen.Measured() || gen.Measured() < 100 {
		t.Fatalf("sent set holds %d, %d measured", sent.GetCardinality(), gen.Measured())
	}
	for i, s := range res.Subscribers {
		set, err := results.DecodeIDSet(s.DeliveredIDs)
		if err != nil {
			t.Fatal(err)
		}
		if int64(set.GetCardinality()) != s.Accounting.Delivered {
			t.Fatalf("%s: set %d, delivered %d", s.Name, set.GetCardinality(), s.Accounting.Delivered)
		}
		it := set.Iterator()
		for it.HasNext() {
			k := it.Next()
			if k>>results.MaxSeqBits != 1 || !sent.Contains(k) {
				t.Fatalf("%s: key %#x is not one of shard 1's measured events", s.Name, k)
			}
			seq := 1 + 3*(k&(1<<results.MaxSeqBits-1))
			if i == 1 && skipped[seq] {
				t.Fatalf("%s: seq %d is in the set but was not processed", s.Name, seq)
			}
		}
	}
	if a := res.Subscribers[1].Accounting; a.Lost != int64(len(skipped)) || len(skipped) == 0 {
		t.Fatalf("most: lost %d, skipped %d", a.Lost, len(skipped))
	}
}
