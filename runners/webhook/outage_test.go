package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestOutageBeyondRetryBudget: a down fault longer than the Svix schedule,
// time-compressed, dead-letters exactly the events whose whole schedule
// fell inside the outage, and results attribute those losses to retries
// exhausted (issue 12 item 3).
func TestOutageBeyondRetryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 10 s of compressed outage")
	}
	// time_scale 36000: one real second is ten scenario hours. Events come
	// every 2.5 scenario hours (4/s real); the outage lasts 41h20m6s, chosen
	// so that no event's last attempt falls within 2.5/2 scenario hours
	// (125 ms real) of the outage's end: the count below does not depend on
	// a loaded machine's timing.
	const y = `time_scale: 36000
load: {rate: 4/s, duration: 60h, warmup: 0s, drain: 50h}
subscribers:
  - name: down
    faults: [{kind: down, at: 0s, for: 41h20m6s}]
  - name: healthy
systems:
  webhook:
    retry: {preset: svix}
    signing: {enabled: false}
`
	sc, err := scenarios.LoadBytes("outage.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	preset, _ := scenarios.LookupRetryPreset("svix")
	scale := sc.TimeScale
	budget := time.Duration(float64(preset.Budget()) / scale) // real time from first to last attempt
	f := sc.Subscribers[0].Faults[0]
	outageStart, outageEnd := f.At.D(), f.At.D()+f.For.D()
	interval := time.Duration(float64(time.Second) / sc.Load.Rate.PerSecond())
	sent := int64(sc.Load.Duration.D() / interval)
	var want int64
	for i := int64(0); i < sent; i++ {
		t0 := time.Duration(i) * interval // intended, from the measured start
		// Every attempt refused: the first at t0 is in the outage and the
		// last, budget later, still is.
		if t0 >= outageStart && t0+budget < outageEnd {
			want++
			if d := outageEnd - (t0 + budget); d < 100*time.Millisecond {
				t.Fatalf("event %d's last attempt is %v before the outage ends: too close to count exactly", i, d)
			}
		} else if t0 >= outageStart && t0 < outageEnd {
			if d := t0 + budget - outageEnd; d < 100*time.Millisecond {
				t.Fatalf("event %d's last attempt is %v after the outage ends: too close to count exactly", i, d)
			}
		}
	}
	if want < 3 || want >= sent {
		t.Fatalf("test design: %d of %d events should exhaust", want, sent)
	}
	t.Logf("svix budget %v scenario = %v real; outage %v real; %d of %d events expected to exhaust", preset.Budget(), budget, outageEnd-outageStart, want, sent)

	out := run(t, context.Background(), sc)
	down, healthy := out.byKey["down"], out.byKey["healthy"]
	a := down.Accounting
	if a.Sent != sent {
		t.Fatalf("sent %d, want %d", a.Sent, sent)
	}
	if a.DeadLettered != want || a.Lost != want {
		t.Errorf("down: dead-lettered %d, lost %d; want exactly %d (the events whose Svix schedule ran out inside the outage)", a.DeadLettered, a.Lost, want)
	}
	if a.LostBy.RetriesExhausted != want || a.LostBy.Total() != a.Lost {
		t.Errorf("down: lost_by %+v, want retries_exhausted %d adding up to lost %d", a.LostBy, want, a.Lost)
	}
	for _, d := range deadFor(out.dead, "down") {
		if d.Attempts != preset.MaxAttempts || d.Reason != ReasonExhausted {
			t.Errorf("dead letter %d: %d attempts, reason %q; want %d, %q", d.ID, d.Attempts, d.Reason, preset.MaxAttempts, ReasonExhausted)
		}
	}
	if h := healthy.Accounting; h.Lost != 0 || h.LostBy.Total() != 0 || h.Delivered != sent {
		t.Errorf("healthy: %+v, want every event delivered and no loss", h)
	}
}
