package load

import (
	"context"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/3", Shard{0, 3}, true}, {"2/3", Shard{2, 3}, true}, {"0/1", Shard{0, 1}, true},
		{"3/3", Shard{}, false}, {"-1/3", Shard{}, false}, {"1/0", Shard{}, false},
		{"1", Shard{}, false}, {"a/b", Shard{}, false}, {"0/65537", Shard{}, false},
	} {
		got, err := ParseShard(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

type emitted struct {
	id, seq  uint64
	key      int
	offset   int64 // intended - start
	payload  string
	warmup   bool
	shardIdx int
}

// runShard runs the scenario as shard sh with start instant at and
// returns what it emitted.
func runShard(t *testing.T, sc *scenarios.Scenario, sh Shard, at time.Time) []emitted {
	t.Helper()
	SetPlan(&Plan{Shard: sh, StartAt: at})
	defer SetPlan(nil)
	g, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	start := g.StartAt(Now())
	var out []emitted
	g.Run(context.Background(), start, func(e Event) {
		out = append(out, emitted{e.ID, e.Seq, e.Key, e.Intended - start, string(e.Payload), e.Warmup, sh.Index})
	})
	if g.Shard() != sh {
		t.Errorf("Shard() = %v, want %v", g.Shard(), sh)
	}
	return out
}

// TestShardsUnionIsTheSingleHostSchedule runs a Poisson schedule (the
// shape whose times come from a random stream) as one host and as 3
// shards: the shards' events are disjoint and together are the single
// host's events exactly, with the same ids, keys, payloads and intended
// times.
func TestShardsUnionIsTheSingleHostSchedule(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t",
		Load: scenarios.Load{Arrival: scenarios.ArrivalPoisson, Rate: 3000, Warmup: scenarios.Duration(100 * time.Millisecond),
			Duration: scenarios.Duration(300 * time.Millisecond)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 7, Seed: 9}}
	at := time.Now().Add(50 * time.Millisecond)
	single := runShard(t, sc, Shard{0, 1}, at)
	if len(single) < 600 {
		t.Fatalf("single host emitted %d events, want about 1200", len(single))
	}
	bySeq := map[uint64]emitted{}
	for i := 0; i < 3; i++ {
		for _, e := range runShard(t, sc, Shard{i, 3}, at) {
			if e.seq%3 != uint64(i) {
				t.Fatalf("shard %d emitted seq %d", i, e.seq)
			}
			if _, dup := bySeq[e.seq]; dup {
				t.Fatalf("seq %d emitted twice", e.seq)
			}
			bySeq[e.seq] = e
		}
	}
	if len(bySeq) != len(single) {
		t.Fatalf("3 shards emitted %d events, one host %d", len(bySeq), len(single))
	}
	for _, s := range single {
		e := bySeq[s.seq]
		if e.id != s.id || e.key != s.key || e.offset != s.offset || e.payload != s.payload || e.warmup != s.warmup {
			t.Fatalf("seq %d: shard %d emitted %+v, one host %+v", s.seq, e.shardIdx, e, s)
		}
	}
}

func TestStartAtRecordsLateness(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t", Load: scenarios.Load{Rate: 100, Duration: scenarios.Duration(time.Second)},
		Event: scenarios.Event{Keys: 1, Seed: 1}}
	at := time.Now().Add(-200 * time.Millisecond) // already passed
	SetPlan(&Plan{Shard: Shard{1, 2}, StartAt: at})
	defer SetPlan(nil)
	g, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	start := g.StartAt(Now())
	if d := time.Duration(Now() - start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Fatalf("start is %v before now, want the start instant (200ms ago)", d)
	}
	if l := g.StartLate(); l < 200*time.Millisecond || l > 5*time.Second {
		t.Fatalf("StartLate() = %v, want about 200ms", l)
	}
	// A second generator (a later point) does not take the instant.
	g2, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	if p := Now(); g2.StartAt(p) != p || g2.IDBase() == g.IDBase() {
		t.Fatal("the start instant or the id base was reused by a second generator")
	}
}
