package webhook

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestSubscriberRetryPolicies: two subscribers with their own retry presets
// (subscribers[].retry) go through the same time-compressed outage in one
// run: the outage is longer than Svix's budget and shorter than the
// Stripe-like one, so the Svix subscriber dead-letters exactly the events
// whose schedule ran out and the Stripe-like one loses nothing; a third
// subscriber keeps the system's policy (1 attempt) and loses every event
// of the outage.
func TestSubscriberRetryPolicies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 11 s of compressed outage, twice")
	}
	// In process, and in a sender child process (durable_queue), which
	// rebuilds its targets from what the parent sends it.
	for _, c := range []struct{ name, extra string }{{"in-process", ""}, {"child-process", "\n    durable_queue: true"}} {
		t.Run(c.name, func(t *testing.T) { subscriberRetryPolicies(t, c.extra) })
	}
}

func subscriberRetryPolicies(t *testing.T, extra string) {
	// As TestOutageBeyondRetryBudget: one real second is ten scenario
	// hours, an event every 2.5 scenario hours, and no last attempt within
	// 100 ms (real) of the outage's end.
	const y = `time_scale: 36000
load: {rate: 4/s, duration: 60h, warmup: 0s, drain: 50h}
subscribers:
  - name: svix
    retry: {preset: svix}
    faults: [{kind: down, at: 0s, for: 41h20m6s}]
  - name: stripe
    retry: {preset: stripe}
    faults: [{kind: down, at: 0s, for: 41h20m6s}]
  - name: system
    faults: [{kind: down, at: 0s, for: 41h20m6s}]
systems:
  webhook:
    retry: {max_attempts: 1}
    signing: {enabled: false}%s
`
	sc, err := scenarios.LoadBytes("policies.yaml", []byte(fmt.Sprintf(y, extra)))
	if err != nil {
		t.Fatal(err)
	}
	interval := time.Duration(float64(time.Second) / sc.Load.Rate.PerSecond())
	sent := int64(sc.Load.Duration.D() / interval)
	f := sc.Subscribers[0].Faults[0]
	outageEnd := f.At.D() + f.For.D()
	exhausted := func(name string) int64 {
		p, _ := scenarios.LookupRetryPreset(name)
		budget := time.Duration(float64(p.Budget()) / sc.TimeScale)
		var n int64
		for i := int64(0); i < sent; i++ {
			last := time.Duration(i)*interval + budget
			if d := last - outageEnd; d > -100*time.Millisecond && d < 100*time.Millisecond {
				t.Fatalf("%s: event %d's last attempt is %v from the outage's end: too close to count exactly", name, i, d)
			}
			if last < outageEnd {
				n++
			}
		}
		return n
	}
	wantSvix, wantStripe := exhausted("svix"), exhausted("stripe")
	wantSystem := int64(outageEnd/interval) + 1 // every event at 0, interval, ... < the end
	if wantSvix < 3 || wantStripe != 0 {
		t.Fatalf("test design: svix should exhaust some (%d), stripe none (%d)", wantSvix, wantStripe)
	}
	out := run(t, context.Background(), sc)
	for _, c := range []struct {
		name     string
		want     int64
		attempts int
	}{{"svix", wantSvix, 8}, {"stripe", wantStripe, 13}, {"system", wantSystem, 1}} {
		a := out.byKey[c.name].Accounting
		t.Logf("%s: %+v", c.name, a)
		if a.Sent != sent || a.DeadLettered != c.want || a.Lost != c.want || a.LostBy.RetriesExhausted != c.want || a.Delivered != sent-c.want {
			t.Errorf("%s: %+v; want exactly %d of %d dead-lettered and lost (retries exhausted)", c.name, a, c.want, sent)
		}
		for _, d := range deadFor(out.dead, c.name) {
			if d.Attempts != c.attempts {
				t.Errorf("%s: dead letter %d after %d attempts, want %d", c.name, d.ID, d.Attempts, c.attempts)
			}
		}
	}
}
