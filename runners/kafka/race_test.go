package kafka

import (
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestConsumerCallbackBeforeSessionState is the regression test for the
// consumer start race (issue 9 item 1): the group client starts joining as
// soon as it exists, so the partitions-assigned callback can run before the
// code after kgo.NewClient. The hook holds the member right after the
// client is created until the callback has run (or 10 s passed). Before the
// fix the callback wrote into a nil worker map ("assignment to entry in nil
// map"); on a rejoin (the down fault) it registered workers in the previous
// session's map, which was then replaced, orphaning those partitions.
func TestConsumerCallbackBeforeSessionState(t *testing.T) {
	testHookClientCreated = func(m *member) {
		deadline := time.Now().Add(10 * time.Second)
		for m.nAssigned.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	defer func() { testHookClientCreated = nil }()
	d := func(x time.Duration) scenarios.Duration { return scenarios.Duration(x) }
	sc := testScenario("race", Embedded, scOpts{
		rate: 300, warmup: 200 * time.Millisecond, duration: 2500 * time.Millisecond, drain: 20 * time.Second,
		subs: 2, members: 1, partitions: 4, acks: AcksAll, commit: CommitAfterProcessing, commitMode: CommitAsync,
		processing: time.Millisecond,
		faults:     []scenarios.Fault{{Kind: scenarios.FaultDown, At: d(500 * time.Millisecond), For: d(500 * time.Millisecond)}},
	})
	res := runPoint(t, &Runner{}, sc)
	for _, s := range res.Subscribers {
		t.Logf("%s: %+v", s.Name, s.Accounting)
		if s.Accounting.Sent == 0 || s.Accounting.Lost != 0 || s.Accounting.Delivered != s.Accounting.Sent {
			t.Errorf("%s: sent %d delivered %d lost %d: every event must reach every group, also after a rejoin",
				s.Name, s.Accounting.Sent, s.Accounting.Delivered, s.Accounting.Lost)
		}
	}
}
