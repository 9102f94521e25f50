package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

// TestBridgeInterruptDuringDrain is the regression test for Ctrl-C during
// the drain (issue 8 item 3): the bridge drained for the scenario's whole
// drain (60 s here: the subscriber is down for good, so it never settles).
// Now it ends at most InterruptDrain after the cancellation, with status
// interrupted and a balanced ledger.
func TestBridgeInterruptDuringDrain(t *testing.T) {
	sc := scenario(kafka.Embedded, AckAfterProduce, 1, 1)
	sc.Load.Duration = scenarios.Duration(time.Second)
	sc.Load.Warmup = scenarios.Duration(200 * time.Millisecond)
	sc.Load.Drain = scenarios.Duration(60 * time.Second)
	sc.Subscribers[0].Faults = []scenarios.Fault{{Kind: scenarios.FaultDown}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	r := &Runner{OnIngress: func(*Ingress, *kafka.Groups) {
		time.AfterFunc(2250*time.Millisecond, func() { cancelled = time.Now(); cancel() })
	}}
	res, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf,
		InterruptDrain: scenarios.Duration(500 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.IsZero() {
		t.Fatal("the run ended before the cancellation")
	}
	took := time.Since(cancelled)
	t.Logf("returned %v after the cancellation; status %s", took, res.Status)
	if took > 10*time.Second {
		t.Errorf("the run returned %v after Ctrl-C during the drain: want at most the 0.5 s interrupt drain plus shutdown", took)
	}
	if res.Status != results.StatusInterrupted {
		t.Errorf("status %s, want interrupted", res.Status)
	}
	for _, s := range res.Subscribers {
		a := s.Accounting
		if err := a.Check(); err != nil || a.Sent == 0 || a.Sent != a.Delivered+a.Lost {
			t.Errorf("%s: %+v (%v): want sent > 0 and sent == delivered + lost", s.Name, a, err)
		}
	}
}
