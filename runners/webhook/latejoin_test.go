package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestLateSubscriber: a webhook subscriber that joins at join_at never
// receives the events intended before it; they count as not_subscribed,
// not lost, and everything after it is delivered (issue 12 item 1).
func TestLateSubscriber(t *testing.T) {
	// join_at falls midway between two events (every 50 ms), so the count
	// does not hinge on rounding at the boundary.
	const y = `load: {rate: 20/s, duration: 4s, warmup: 1s, drain: 5s}
subscribers:
  - name: early
  - name: late
    join_at: 2025ms
systems:
  webhook: {signing: {enabled: false}}
`
	sc, err := scenarios.LoadBytes("late.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	interval := time.Duration(float64(time.Second) / sc.Load.Rate.PerSecond())
	sent := int64(sc.Load.Duration.D() / interval)
	join := sc.Subscribers[1].JoinAt.D()
	want := int64(join/interval) + 1 // events at 0, interval, ... < join
	out := run(t, context.Background(), sc)
	early, late := out.byKey["early"].Accounting, out.byKey["late"].Accounting
	if early.Sent != sent || early.Delivered != sent || early.NotSubscribed != 0 || early.Lost != 0 {
		t.Errorf("early: %+v, want all %d delivered", early, sent)
	}
	if late.NotSubscribed != want || late.Lost != 0 || late.Delivered != sent-want || late.Sent != sent {
		t.Errorf("late: %+v, want not_subscribed %d (the events before join_at %v), lost 0, delivered %d", late, want, join, sent-want)
	}
}
