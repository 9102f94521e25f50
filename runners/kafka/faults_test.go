package kafka

import (
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoRecordWithoutHeaders is a record evbench did not write.
var kgoRecordWithoutHeaders = kgo.Record{Key: []byte("key-1"), Value: []byte("{}")}

// TestFaults runs each fault kind on the embedded broker and checks what a
// user would look for in the results: nothing lost once the fault is over,
// and the fault visible where it should be.
func TestFaults(t *testing.T) {
	d := func(x time.Duration) scenarios.Duration { return scenarios.Duration(x) }
	for _, tc := range []struct {
		name  string
		fault scenarios.Fault
		check func(t *testing.T, s results.Subscriber)
	}{
		{"errors p=0.5", scenarios.Fault{Kind: scenarios.FaultErrors, At: d(500 * time.Millisecond), For: d(time.Second), Probability: 0.5},
			func(t *testing.T, s results.Subscriber) {
				// ~150 records in the window, half failing at least once.
				if s.Errors.Other < 20 || s.Accounting.Retries != s.Errors.Other {
					t.Errorf("errors %d, retries %d: want a retry per processing error, dozens of them", s.Errors.Other, s.Accounting.Retries)
				}
			}},
		// 4 partitions at 6 ms per record can take ~660/s: slower, not overloaded.
		{"slow +5ms", scenarios.Fault{Kind: scenarios.FaultSlow, At: d(0), For: d(0), Add: d(5 * time.Millisecond)},
			func(t *testing.T, s results.Subscriber) {
				if p := s.E2E.LatencyUS.P50; p < 6_000 {
					t.Errorf("e2e p50 %dus: 1 ms processing + a 5 ms slow fault for the whole run must show", p)
				}
			}},
		{"pause 1s", scenarios.Fault{Kind: scenarios.FaultPause, At: d(500 * time.Millisecond), For: d(time.Second)},
			func(t *testing.T, s results.Subscriber) {
				if m := s.E2E.LatencyUS.Max; m < 700_000 {
					t.Errorf("e2e max %dus: records arriving at the start of a 1 s pause wait most of it", m)
				}
			}},
		{"down 1s", scenarios.Fault{Kind: scenarios.FaultDown, At: d(500 * time.Millisecond), For: d(time.Second)},
			func(t *testing.T, s results.Subscriber) {
				if m := s.E2E.LatencyUS.Max; m < 700_000 {
					t.Errorf("e2e max %dus: the group left for 1 s", m)
				}
			}},
		{"hang 1s", scenarios.Fault{Kind: scenarios.FaultHang, At: d(500 * time.Millisecond), For: d(time.Second)},
			func(t *testing.T, s results.Subscriber) {
				if m := s.E2E.LatencyUS.Max; m < 700_000 {
					t.Errorf("e2e max %dus: processing hung for 1 s", m)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := testScenario("faults", Embedded, scOpts{
				rate: 300, warmup: 200 * time.Millisecond, duration: 2 * time.Second, drain: 15 * time.Second,
				subs: 1, members: 2, partitions: 4, acks: AcksAll, commit: CommitAfterProcessing, commitMode: CommitAsync,
				processing: time.Millisecond, faults: []scenarios.Fault{tc.fault},
			})
			res := runPoint(t, &Runner{}, sc)
			s := res.Subscribers[0]
			t.Logf("%s: %+v errors %+v e2e p50 %dus max %dus", tc.name, s.Accounting, s.Errors, s.E2E.LatencyUS.P50, s.E2E.LatencyUS.Max)
			if err := s.Accounting.Check(); err != nil {
				t.Fatal(err)
			}
			if s.Accounting.Lost != 0 {
				t.Errorf("lost %d: every fault here ends before the drain", s.Accounting.Lost)
			}
			if s.Accounting.OutOfOrder != 0 {
				t.Errorf("out of order %d", s.Accounting.OutOfOrder)
			}
			tc.check(t, s)
		})
	}
}
