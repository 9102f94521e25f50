package measure

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// TestLedgerCrossCheck is issue 9 item 8: lost = sent - delivered made
// "sent == delivered + lost" unable to fail. Finish now checks the counters
// against independent tallies (the bitmaps of ids, the per-second series);
// each case injects one inconsistency a harness bug would cause and the
// point must fail with ErrLedger.
func TestLedgerCrossCheck(t *testing.T) {
	tests := []struct {
		name   string
		inject func(p *Point, first, sent uint64)
		want   string // "" = consistent
	}{
		{"consistent", func(*Point, uint64, uint64) {}, ""},
		{"delivered counter drifts", func(p *Point, _, _ uint64) { p.Subs[0].delivered.Add(1) }, "delivered counter"},
		{"id processed that was never sent", func(p *Point, first, sent uint64) {
			p.Subs[1].mu.Lock()
			p.Subs[1].done.set(first + sent + 3)
			p.Subs[1].mu.Unlock()
		}, "never sent"},
		{"dead letter counted twice", func(p *Point, _, _ uint64) { p.Subs[0].deadLettered.Add(1) }, "dead letters: counters"},
		{"dead letter for a warm-up id", func(p *Point, first, _ uint64) {
			p.Subs[0].mu.Lock()
			p.Subs[0].dead.set(first - 1)
			p.Subs[0].mu.Unlock()
		}, "not measured events"},
		{"series misses a delivery", func(p *Point, _, _ uint64) {
			p.series.mu.Lock()
			p.series.recorded--
			p.series.mu.Unlock()
		}, "time series"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := &scenarios.Scenario{Name: "t",
				Load:  scenarios.Load{Rate: 1000, Warmup: scenarios.Duration(20 * time.Millisecond), Duration: scenarios.Duration(100 * time.Millisecond)},
				Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 1, Seed: 1}}
			gen, err := load.New(sc)
			if err != nil {
				t.Fatal(err)
			}
			p := NewPoint("test", gen, []string{"a", "b"}, 1)
			start := load.Now() - int64(time.Hour) // hand the whole schedule out at once
			p.Start(start)
			var evs []load.Event
			gen.Run(context.Background(), start, func(e load.Event) { evs = append(evs, e) })
			for i, e := range evs {
				for _, s := range p.Subs {
					if i%10 == 9 && !e.Warmup {
						s.DeadLetter(e.ID) // some lost, dead-lettered
						continue
					}
					s.Delivered(e.ID, e.Key, e.Intended, e.Intended+int64(time.Millisecond))
				}
			}
			sent := uint64(gen.Measured())
			tc.inject(p, uint64(gen.Sent())-sent, sent)
			res, err := p.Finish(results.Capabilities{Attempts: true}, nil)
			if tc.want == "" {
				if err != nil || res.Status != results.StatusComplete {
					t.Fatalf("consistent point: err %v, status %s", err, res.Status)
				}
				if a := res.Subscribers[0].Accounting; a.Lost != a.DeadLettered || a.Lost == 0 {
					t.Fatalf("accounting %+v, want the dead-lettered events lost", a)
				}
				return
			}
			if !errors.Is(err, ErrLedger) || res == nil || res.Status != results.StatusFailed || !strings.Contains(res.Error, tc.want) {
				t.Fatalf("err %v, point status %v error %q; want a failed point, ErrLedger, mentioning %q", err, res.Status, res.Error, tc.want)
			}
		})
	}
}

// TestBitmapCount checks the range and set counts the ledger relies on
// against a naive count, over ranges that start and end inside words.
func TestBitmapCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b bitmap
	naiveA, naiveB := map[uint64]bool{}, map[uint64]bool{}
	for i := 0; i < 3000; i++ {
		x, y := rng.Uint64N(1000), rng.Uint64N(1300)
		a.set(x)
		b.set(y)
		naiveA[x], naiveB[y] = true, true
	}
	for _, r := range [][2]uint64{{0, 0}, {0, 1}, {3, 64}, {63, 65}, {64, 128}, {5, 999}, {0, 1 << 20}, {700, 5000}, {2000, 3000}, {1000, 10}} {
		var want uint64
		for x := range naiveA {
			if x >= r[0] && x < r[1] {
				want++
			}
		}
		if got := a.count(r[0], r[1]); got != want {
			t.Errorf("count[%d, %d) = %d, want %d", r[0], r[1], got, want)
		}
	}
	var and, andNot uint64
	for x := range naiveA {
		if naiveB[x] {
			and++
		} else {
			andNot++
		}
	}
	if got := a.countAnd(&b); got != and {
		t.Errorf("countAnd = %d, want %d", got, and)
	}
	if got := a.countAndNot(&b); got != andNot {
		t.Errorf("countAndNot = %d, want %d", got, andNot)
	}
	if got := b.countAndNot(&a); got != uint64(len(naiveB))-and {
		t.Errorf("b.countAndNot(a) = %d, want %d", got, uint64(len(naiveB))-and)
	}
}
