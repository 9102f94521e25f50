package bridge

import (
	"testing"

	"github.com/evbench/evbench/scenarios"
)

// TestParallelRun: with systems.bridge.parallel_run the bridge delivers
// every event both to the Kafka groups and to the legacy webhook endpoints
// (issue 12 item 5). A healthy subscriber gets every event on both paths; a
// subscriber down for a second loses, on the legacy path (one attempt, no
// retries), exactly the events of that second, which its Kafka group still
// delivers after rejoining: they are "only new", and nothing is "only old"
// or "neither". Both paths' latencies are side by side.
func TestParallelRun(t *testing.T) {
	const y = `load: {rate: 200/s, warmup: 500ms, duration: 3s, drain: 15s}
subscribers:
  - {name: orders, processing: 1ms}
  - {name: billing, faults: [{kind: down, at: 1s, for: 1s}]}
systems:
  webhook: {retry: {max_attempts: 1}}
  kafka: {brokers: embedded, topic: {partitions: 4}}
  bridge: {parallel_run: true}
`
	sc, err := scenarios.LoadBytes("migration.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, &Runner{}, sc)
	subs := map[string]int{}
	for i, s := range res.Subscribers {
		subs[s.Name] = i
		if err := s.Accounting.Check(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	for _, n := range []string{"orders", "billing", "orders@webhook", "billing@webhook"} {
		if _, ok := subs[n]; !ok {
			t.Fatalf("results lack subscriber %s: %v", n, subs)
		}
	}
	if len(res.ParallelRun) != 2 {
		t.Fatalf("parallel_run has %d rows, want 2: %+v", len(res.ParallelRun), res.ParallelRun)
	}
	for _, r := range res.ParallelRun {
		old, nw := res.Subscribers[subs[r.Old]].Accounting, res.Subscribers[subs[r.New]].Accounting
		t.Logf("%s: %+v", r.Name, r)
		if r.Both+r.OnlyOld+r.OnlyNew+r.Neither != r.Sent || r.Sent != nw.Sent || r.Both+r.OnlyOld != old.Delivered || r.Both+r.OnlyNew != nw.Delivered {
			t.Errorf("%s: sets %+v do not match the ledgers (old %+v, new %+v)", r.Name, r, old, nw)
		}
		if r.OldE2E.Count != old.Delivered || r.NewE2E.Count != nw.Delivered {
			t.Errorf("%s: latency counts old %d new %d, want the deliveries %d and %d", r.Name, r.OldE2E.Count, r.NewE2E.Count, old.Delivered, nw.Delivered)
		}
		if nw.Lost != 0 || r.OnlyOld != 0 || r.Neither != 0 {
			t.Errorf("%s: the Kafka path lost %d, only old %d, neither %d; want 0", r.Name, nw.Lost, r.OnlyOld, r.Neither)
		}
		switch r.Name {
		case "orders":
			if r.Both != r.Sent || old.Duplicates != 0 {
				t.Errorf("orders: both %d of %d sent (legacy duplicates %d): want every event on both paths once", r.Both, r.Sent, old.Duplicates)
			}
		case "billing":
			// One second of 200/s, give or take the events at the window's
			// edges.
			if r.OnlyNew != old.Lost || old.Lost != old.DeadLettered || old.Lost < 180 || old.Lost > 220 {
				t.Errorf("billing: only new %d, legacy lost %d (dead-lettered %d); want the ~200 events of the outage, lost on the legacy path only", r.OnlyNew, old.Lost, old.DeadLettered)
			}
		}
	}
}
