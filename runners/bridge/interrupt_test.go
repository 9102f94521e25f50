package bridge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// TestBridgeInterruptDuringDrain is the regression test for Ctrl-C during
// the drain (issue 8 item 3): the bridge drained for the scenario's whole
// drain (60 s here: the subscriber is down for good, so it never settles).
// Now it ends at most InterruptDrain after the cancellation, with status
// interrupted and a balanced ledger, for the in-process bridge and for the
// bridge in a child process (systems.bridge.faults), which share the run
// lifecycle (runners.RunPoint).
func TestBridgeInterruptDuringDrain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []scenarios.InfraFault
	}{
		{"in-process", nil},
		// Killed early and back long before the drain: the drain waits
		// only for the subscriber that is down.
		{"child-process", []scenarios.InfraFault{{Kind: scenarios.FaultBridgeCrash, At: scenarios.Duration(100 * time.Millisecond), For: scenarios.Duration(200 * time.Millisecond)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(kafka.Embedded, AckAfterProduce, 1, 1)
			sc.Load.Duration = scenarios.Duration(time.Second)
			sc.Load.Warmup = scenarios.Duration(200 * time.Millisecond)
			sc.Load.Drain = scenarios.Duration(60 * time.Second)
			sc.Subscribers[0].Faults = []scenarios.Fault{{Kind: scenarios.FaultDown}}
			ConfigOf(sc).Faults = tc.faults
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			var cancelled time.Time
			onStart := func(mp *measure.Point) {
				// The load ends 1 s after the measured start; cancel 1 s
				// into the drain.
				d := time.Duration(mp.MeasuredStart() + int64(2*time.Second) - load.Now())
				time.AfterFunc(max(d, 0), func() { mu.Lock(); cancelled = time.Now(); mu.Unlock(); cancel() })
			}
			res, err := (&Runner{}).Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf,
				OnStart: onStart, InterruptDrain: scenarios.Duration(500 * time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
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
			if (res.BridgeProcess != nil) != (tc.faults != nil) {
				t.Errorf("bridge_process %+v: want one exactly when the bridge ran as a child process", res.BridgeProcess)
			}
			for _, s := range res.Subscribers {
				a := s.Accounting
				if err := a.Check(); err != nil || a.Sent == 0 || a.Sent != a.Delivered+a.Lost {
					t.Errorf("%s: %+v (%v): want sent > 0 and sent == delivered + lost", s.Name, a, err)
				}
			}
		})
	}
}
