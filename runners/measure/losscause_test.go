package measure_test

import (
	"testing"

	"github.com/evbench/evbench/runners/measure"
)

// TestLossCauses: every lost event is attributed to exactly one cause, the
// first it was dead-lettered for; dead-lettered events processed anyway are
// delivered and attributed to nothing; the rest of the loss is "not
// delivered by the end of the drain" (issue 12 item 3).
func TestLossCauses(t *testing.T) {
	f := newFixture(t, []string{"s", "clean"}, 4, 1000, 0, 100*ms)
	s, clean := f.mp.Subs[0], f.mp.Subs[1]
	ev := f.meas
	if len(ev) < 50 {
		t.Fatalf("%d events", len(ev))
	}
	done := func(sub *measure.Subscriber, i int) {
		sub.Delivered(ev[i].ID, ev[i].Key, ev[i].Intended, ev[i].Intended+int64(ms))
	}
	for i := range ev {
		done(clean, i)
	}
	// 0-29 delivered; 30-34 exhausted; 35-36 gone; 37-39 queue overflow;
	// 40 exhausted then gone (counts once, as exhausted); 41 exhausted then
	// delivered anyway; 42.. never resolved.
	for i := 0; i < 30; i++ {
		done(s, i)
	}
	for i := 30; i < 35; i++ {
		s.DeadLetterCause(ev[i].ID, measure.CauseRetriesExhausted)
	}
	for i := 35; i < 37; i++ {
		s.DeadLetterCause(ev[i].ID, measure.CauseEndpointGone)
	}
	for i := 37; i < 40; i++ {
		s.DeadLetterCause(ev[i].ID, measure.CauseQueueOverflow)
	}
	s.DeadLetterCause(ev[40].ID, measure.CauseRetriesExhausted)
	s.DeadLetterCause(ev[40].ID, measure.CauseEndpointGone)
	s.DeadLetterCause(ev[41].ID, measure.CauseRetriesExhausted)
	done(s, 41)
	res, err := f.mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Subscribers[0].Accounting
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	sent := int64(len(ev))
	wantNot := sent - 42
	if a.LostBy.RetriesExhausted != 6 || a.LostBy.EndpointGone != 2 || a.LostBy.QueueOverflow != 3 || a.LostBy.NotDelivered != wantNot {
		t.Errorf("lost_by %+v, want exhausted 6, gone 2, overflow 3, not delivered %d", a.LostBy, wantNot)
	}
	if a.Lost != 11+wantNot || a.DeadLettered != 12 || a.DeliveredAfterDeadLetter != 1 {
		t.Errorf("lost %d dead-lettered %d delivered after %d", a.Lost, a.DeadLettered, a.DeliveredAfterDeadLetter)
	}
	if c := res.Subscribers[1].Accounting; c.Lost != 0 || c.LostBy.Total() != 0 {
		t.Errorf("clean subscriber: %+v, want no loss and no lost_by", c)
	}
}
