package measure_test

import (
	"testing"
	"time"

	"github.com/evbench/evbench/runners/measure"
)

// TestCrashLost: events a crashed sender held are lost to sender_crash
// unless processed anyway (before or after the crash record), count once,
// resolve the drain, and warm-up events are ignored.
func TestCrashLost(t *testing.T) {
	f := newFixture(t, []string{"s"}, 4, 1000, 20*time.Millisecond, 100*ms)
	s := f.mp.Subs[0]
	ev := f.meas
	if len(ev) < 50 || len(f.warm) == 0 {
		t.Fatalf("%d events, %d warm-up", len(ev), len(f.warm))
	}
	// 0-29 delivered; 30-39 held at the crash (30 was processed just
	// before, 31 after: an attempt in flight that completed); 35 recorded
	// twice; 40 dead-lettered; 41.. never resolved.
	for i := 0; i <= 30; i++ {
		deliver(s, ev[i])
	}
	s.CrashLost(f.warm[0].ID, f.warm[0].Intended)
	for i := 30; i < 40; i++ {
		s.CrashLost(ev[i].ID, ev[i].Intended)
	}
	s.CrashLost(ev[35].ID, ev[35].Intended)
	deliver(s, ev[31])
	s.DeadLetterCause(ev[40].ID, measure.CauseRetriesExhausted)
	// Dead-lettered, then held by the parent's reckoning (the sender's
	// "done" frame was lost in the kill): a dead letter, not a crash loss.
	s.CrashLost(ev[40].ID, ev[40].Intended)
	if got, want := s.Resolved(), int64(32+8+1); got != want {
		t.Errorf("resolved %d, want %d (32 delivered + 8 crash-lost + 1 dead-lettered)", got, want)
	}
	if s.CrashLostCount() != 10 {
		t.Errorf("crash-lost count %d, want 10 (warm-up ignored, 35 once)", s.CrashLostCount())
	}
	res, err := f.mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Subscribers[0].Accounting
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	sent := int64(len(ev))
	if a.LostBy.SenderCrash != 8 || a.LostBy.RetriesExhausted != 1 || a.LostBy.NotDelivered != sent-41 || a.Lost != sent-32 {
		t.Errorf("lost %d by %+v; want sender_crash 8, exhausted 1, not delivered %d", a.Lost, a.LostBy, sent-41)
	}
}

// TestCrashLostExternalLedger: a subscriber whose deliveries come from a
// remote receiver's ledger (LossCausesExcept) attributes crash-held events
// the receiver did not process to the crash too, the bridge's to
// bridge_crash.
func TestCrashLostExternalLedger(t *testing.T) {
	for _, bridge := range []bool{false, true} {
		f := newFixture(t, []string{"s"}, 4, 1000, 0, 100*ms)
		if bridge {
			f.mp.CrashIsBridge()
		}
		s, ev := f.mp.Subs[0], f.meas
		for i := 10; i < 20; i++ {
			s.CrashLost(ev[i].ID, ev[i].Intended)
		}
		s.DeadLetterCause(ev[20].ID, measure.CauseQueueOverflow)
		base := f.mp.IDBase()
		// The receiver processed everything but 12..19 and 20.
		processed := func(seq uint64) bool { return seq < ev[12].ID-base || seq > ev[20].ID-base }
		c := s.LossCausesExcept(30, processed)
		crash := c.SenderCrash
		if bridge {
			crash = c.BridgeCrash
		}
		if crash != 8 || c.SenderCrash+c.BridgeCrash != 8 || c.QueueOverflow != 1 || c.NotDelivered != 21 || c.Total() != 30 {
			t.Errorf("bridge %v: causes %+v, want crash 8, queue overflow 1, not delivered 21", bridge, c)
		}
	}
}
