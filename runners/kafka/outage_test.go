package kafka_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// TestOutageRegimes runs one time-compressed outage against webhooks with
// the Svix preset and against Kafka with three retentions (issue 12 item
// 3): the webhook dead-letters exactly the events whose Svix schedule ran
// out inside the outage (retries exhausted); Kafka loses nothing without
// retention or with a retention longer than the outage; with a retention
// shorter than the outage Kafka loses exactly the records deleted while the
// group was down, every one attributed to retention_expired.
//
// Real time (time_scale 36000: one real second is ten scenario hours):
// events every second at t = 0, 1, ..., 11 s; the "down" subscriber is down
// over [0.5 s, 8.5 s); Svix's budget (27h35m5s) is 2.76 s; the short
// retention (20h) is 2 s, enforced every 100 ms. Every boundary below has at
// least 250 ms of margin (checked), so the counts do not hinge on a loaded
// machine's timing.
func TestOutageRegimes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four points of about 13 s each")
	}
	const base = `time_scale: 36000
load: {rate: 1/s, duration: 120h, warmup: 0s, drain: 50h}
event: {keys: 64}
subscribers:
  - name: down
    faults: [{kind: down, at: 5h, for: 80h}]
  - name: healthy
systems:
%s
`
	load := func(t *testing.T, systems string) *scenarios.Scenario {
		t.Helper()
		sc, err := scenarios.LoadBytes("outage.yaml", []byte(fmt.Sprintf(base, systems)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	// The schedule in real time.
	sc := load(t, "  webhook: {retry: {preset: svix}, signing: {enabled: false}}")
	interval := time.Duration(float64(time.Second) / sc.Load.Rate.PerSecond())
	sent := int64(sc.Load.Duration.D() / interval)
	f := sc.Subscribers[0].Faults[0]
	downFrom, downTo := f.At.D(), f.At.D()+f.For.D()
	preset, _ := scenarios.LookupRetryPreset("svix")
	budget := time.Duration(float64(preset.Budget()) / sc.TimeScale)
	const margin = 250 * time.Millisecond
	// countIn counts the events whose first chance t0 is inside the outage
	// and whose last chance, last(t0), is still before its end.
	countIn := func(t *testing.T, what string, last func(t0 time.Duration) time.Duration) int64 {
		var n int64
		for i := int64(0); i < sent; i++ {
			t0 := time.Duration(i) * interval
			if t0 < downFrom {
				if downFrom-t0 < margin {
					t.Fatalf("%s: event %d at %v is %v before the outage: too close", what, i, t0, downFrom-t0)
				}
				continue
			}
			if t0 >= downTo {
				continue
			}
			l := last(t0)
			if d := l - downTo; d > -margin && d < margin {
				t.Fatalf("%s: event %d's last chance %v is within %v of the outage's end %v: too close to count exactly", what, i, l, margin, downTo)
			}
			if l < downTo {
				n++
			}
		}
		return n
	}

	t.Run("webhook-svix", func(t *testing.T) {
		want := countIn(t, "svix", func(t0 time.Duration) time.Duration { return t0 + budget })
		if want < 3 || want >= sent {
			t.Fatalf("test design: %d of %d events should exhaust Svix's schedule", want, sent)
		}
		res := runPoint(t, &webhook.Runner{}, sc)
		down, healthy := res.Subscribers[0].Accounting, res.Subscribers[1].Accounting
		t.Logf("webhook down: %+v", down)
		if down.Sent != sent || down.DeadLettered != want || down.Lost != want || down.LostBy.RetriesExhausted != want || down.LostBy.Total() != want {
			t.Errorf("webhook down: %+v; want %d sent, exactly %d dead-lettered and lost, all retries_exhausted", down, sent, want)
		}
		if healthy.Lost != 0 || healthy.Delivered != sent {
			t.Errorf("webhook healthy: %+v, want all %d delivered", healthy, sent)
		}
	})

	cases := []struct {
		name, brokers, configs string
		retention              time.Duration // scenario time; 0: none
	}{
		{"kafka-no-retention", "embedded", "", 0},
		{"kafka-retention-beyond-outage", "embedded", "{retention.ms: '360000000'}", 100 * time.Hour},
		{"kafka-retention-shorter-than-outage", "embedded", "{retention.ms: '72000000'}", 20 * time.Hour},
	}
	// On a real broker too, when one is given: evbench's DeleteRecords, not
	// the broker's segment deletion, enforces the compressed retention.
	if b := os.Getenv("EVBENCH_KAFKA_BROKERS"); b != "" {
		cases = append(cases, struct {
			name, brokers, configs string
			retention              time.Duration
		}{"kafka-retention-shorter-than-outage-real", b, "{retention.ms: '72000000'}", 20 * time.Hour})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "{partitions: 2, delete_after: true}"
			if c.configs != "" {
				topic = "{partitions: 2, delete_after: true, configs: " + c.configs + "}"
			}
			sc := load(t, "  kafka: {brokers: '"+c.brokers+"', topic: "+topic+"}")
			var want int64
			if c.retention > 0 {
				ret := time.Duration(float64(c.retention) / sc.TimeScale)
				if got, ok, err := kafka.RetentionOf(kafka.Settings{TopicConfigs: kafka.ConfigOf(sc).Topic.Configs}); err != nil || !ok || got != ret {
					t.Fatalf("retention.ms compressed to %v (%v, %v), want %v", got, ok, err, ret)
				}
				// A record produced at t0 is deleted between t0 + ret and
				// t0 + ret + the enforcement interval; the group resumes at
				// the outage's end.
				every := max(min(ret/20, time.Second), 10*time.Millisecond)
				want = countIn(t, "retention", func(t0 time.Duration) time.Duration { return t0 + ret + every })
			}
			if c.retention == 20*time.Hour && want < 3 {
				t.Fatalf("test design: %d events should expire", want)
			}
			res := runPoint(t, &kafka.Runner{}, sc)
			down, healthy := res.Subscribers[0].Accounting, res.Subscribers[1].Accounting
			t.Logf("%s down: %+v; notes %q", c.name, down, res.Notes)
			if err := down.Check(); err != nil {
				t.Fatal(err)
			}
			if down.Sent != sent || down.Lost != want || down.Delivered != sent-want {
				t.Errorf("kafka down: %+v; want %d sent, exactly %d lost (records deleted by retention while down)", down, sent, want)
			}
			if down.LostBy.RetentionExpired != want || down.LostBy.NotDelivered != 0 || down.LostBy.Total() != down.Lost || down.DeadLettered != 0 {
				t.Errorf("kafka down: lost_by %+v; want every loss (%d) attributed to retention_expired", down.LostBy, want)
			}
			if healthy.Lost != 0 || healthy.Delivered != sent {
				t.Errorf("kafka healthy: %+v, want all %d delivered (retention deletes only what it read)", healthy, sent)
			}
		})
	}
}

func runPoint(t *testing.T, r runners.Runner, sc *scenarios.Scenario) *results.Point {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pt := &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": float64(sc.Load.Rate)}, Logf: t.Logf}
	res, err := r.Run(ctx, pt)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != results.StatusComplete {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	return res
}
