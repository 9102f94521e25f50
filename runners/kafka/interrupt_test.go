package kafka

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/evbench/evbench/scenarios/netspec"
)

// TestInterruptDuringDrain is the regression test for Ctrl-C during the
// drain (issue 8 item 3): the runner ignored the cancellation and drained
// for the scenario's whole drain (60 s here, with a subscriber that is down
// for good, so the drain never settles). Now the drain ends at most the
// point's InterruptDrain after the cancellation, the status is
// interrupted and the ledger balances.
func TestInterruptDuringDrain(t *testing.T) {
	sc := testScenario("interrupt-drain", Embedded, scOpts{
		rate: 200, warmup: 200 * time.Millisecond, duration: time.Second, drain: 60 * time.Second,
		subs: 1, members: 1, partitions: 2, acks: AcksAll, processing: time.Millisecond,
		faults: []scenarios.Fault{{Kind: scenarios.FaultDown}}, // down from the start, never back
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	r := &Runner{OnGroups: func(*Groups) {
		// The load ends 1.25 s after this; cancel 1 s into the drain.
		time.AfterFunc(2250*time.Millisecond, func() { cancelled = time.Now(); cancel() })
	}}
	pt := &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf,
		InterruptDrain: scenarios.Duration(500 * time.Millisecond)}
	res, err := r.Run(ctx, pt)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.IsZero() {
		t.Fatal("the run ended before the cancellation")
	}
	took := time.Since(cancelled)
	checkInterrupted(t, res, took)
}

// checkInterrupted asserts what a user checks after Ctrl-C in the drain:
// a prompt exit (InterruptDrain 0.5 s plus shutdown, far below the 60 s
// drain), status interrupted, and sent == delivered + lost.
func checkInterrupted(t *testing.T, res *results.Point, took time.Duration) {
	t.Helper()
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

// TestInterruptDuringDrainExternalConsumers is the regression test for
// Ctrl-C during the drain of a producers-only point (`evbench run
// --external-consumers`, real broker): its drain, which waits for the
// produce acks, checked for an interruption only before it began, so a
// Ctrl-C during it waited for every ack (here a 3 s one-way producer link
// holds them back well beyond the bound). Under runners.RunPoint the drain
// ends within the point's InterruptDrain, the status is interrupted and
// the unacknowledged records are counted.
func TestInterruptDuringDrainExternalConsumers(t *testing.T) {
	brokers := brokertest.RequireReal(t)
	sc := testScenario("interrupt-drain-external", brokers, scOpts{
		rate: 50, warmup: 0, duration: time.Second, drain: 60 * time.Second,
		subs: 1, members: 1, partitions: 2, acks: AcksAll, processing: time.Millisecond,
	})
	ConfigOf(sc).Topic.Name = AutoTopicName("interrupt-drain-external", System)
	ConfigOf(sc).ProducerNetwork = scenarios.Network{Spec: netspec.Spec{Latency: 3 * time.Second}}
	load.SetPlan(&load.Plan{ExternalConsumers: true})
	defer load.SetPlan(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var cancelled time.Time
	pt := &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 50}, Logf: t.Logf,
		InterruptDrain: scenarios.Duration(500 * time.Millisecond),
		OnStart: func(mp *measure.Point) {
			// The load ends 1 s after the measured start; cancel 1 s into
			// the drain, long before the first ack crosses the link.
			d := time.Duration(mp.MeasuredStart() + int64(2*time.Second) - load.Now())
			time.AfterFunc(max(d, 0), func() { mu.Lock(); cancelled = time.Now(); mu.Unlock(); cancel() })
		}}
	res, err := (&Runner{}).Run(ctx, pt)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if cancelled.IsZero() {
		t.Fatal("the run ended before the cancellation: the drain did not wait for the acks")
	}
	took := time.Since(cancelled)
	t.Logf("returned %v after the cancellation; status %s; publish errors %+v", took, res.Status, res.PublishErrors)
	// 0.5 s of interrupt drain plus the producers' bounded close (a 2 s
	// ack grace, then closing the clients), far below the acks' arrival.
	if took > 8*time.Second {
		t.Errorf("the run returned %v after Ctrl-C during the drain: want at most the 0.5 s interrupt drain plus shutdown", took)
	}
	if res.Status != results.StatusInterrupted {
		t.Errorf("status %s, want interrupted", res.Status)
	}
	if res.Subscribers[0].Accounting.Sent != 50 {
		t.Errorf("accounting %+v: want 50 sent", res.Subscribers[0].Accounting)
	}
}
