package scenarios_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

func TestTimeScaleCompressesTheTimeline(t *testing.T) {
	const y = `time_scale: 1000
load: {rate: 50/s, duration: 2h, warmup: 10s, drain: 28h}
subscribers:
  - name: a
    count: 2
    processing: 5ms
    faults:
      - {kind: down, at: 1h, for: 6h}
      - {kind: errors, at: 10m, for: 1m, retry_after: 2s}
      - {kind: slow, at: 20m, for: 1m, add: 50ms}
systems:
  webhook:
    retry: {preset: svix}
  kafka:
    topic: {configs: {retention.ms: 3600000, cleanup.policy: delete}}
`
	sc, err := LoadBytes("ts.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	eq := func(what string, got Duration, want time.Duration) {
		t.Helper()
		if got.D() != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	eq("duration", sc.Load.Duration, 7200*ms)
	eq("warmup", sc.Load.Warmup, 10*ms)
	eq("drain", sc.Load.Drain, 100800*ms)
	if len(sc.Subscribers) != 2 {
		t.Fatalf("%d subscribers", len(sc.Subscribers))
	}
	for _, sub := range sc.Subscribers { // each expanded copy compressed once
		eq(sub.Name+" down.at", sub.Faults[0].At, 3600*ms)
		eq(sub.Name+" down.for", sub.Faults[0].For, 21600*ms)
		eq(sub.Name+" retry_after (not scaled)", sub.Faults[1].RetryAfter, 2*time.Second)
		eq(sub.Name+" slow.add (not scaled)", sub.Faults[2].Add, 50*ms)
		eq(sub.Name+" processing (not scaled)", Duration(sub.Processing.Value), 5*ms)
	}
	want := []time.Duration{5 * ms, 300 * ms, 1800 * ms, 7200 * ms, 18 * time.Second, 36 * time.Second, 36 * time.Second}
	for i, w := range want {
		eq("schedule", webhook.ConfigOf(sc).Retry.Schedule[i], w)
	}
	eq("timeout (not scaled)", webhook.ConfigOf(sc).Timeout, 15*time.Second)
	if got := kafka.ConfigOf(sc).Topic.Configs["retention.ms"]; got != "3600" {
		t.Errorf("retention.ms = %s, want 3600", got)
	}
	if got := kafka.ConfigOf(sc).Topic.Configs["cleanup.policy"]; got != "delete" {
		t.Errorf("cleanup.policy = %s", got)
	}
	if got := sc.ScenarioTime(sc.Load.Drain); got.D() != 28*time.Hour {
		t.Errorf("drain in scenario time %v, want 28h", got)
	}
	// A sweep over subscriber counts copies the template: compressed once too.
	sw, err := LoadBytes("sw.yaml", []byte("time_scale: 10\nload: {rate: 10/s, duration: 20s}\nsubscribers: [{name: a, faults: [{kind: down, at: 10s, for: 50s}]}]\nsystems: {webhook: {}}\nsweep: {subscribers: [1, 3], find_max: {slo: e2e.p99 < 1s}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := sw.Expand()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		for _, sub := range p.Scenario.Subscribers {
			eq("swept "+sub.Name+" at", sub.Faults[0].At, time.Second)
		}
	}
	eq("find_max.duration", sw.Sweep.FindMax.Duration, 2*time.Second)
}

func TestTimeScaleSteps(t *testing.T) {
	sc, err := LoadBytes("st.yaml", []byte("time_scale: 3\nload: {arrival: steps, steps: [{rate: 10/s, for: 10s}, {rate: 20/s, for: 5s}]}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sc.Load.Steps[0].For + sc.Load.Steps[1].For; sum != sc.Load.Duration {
		t.Errorf("steps sum %v != duration %v", sum, sc.Load.Duration)
	}
}

func TestTimeScaleRefused(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"below the minimum period", "time_scale: 100\nload: {rate: 10/s, duration: 30s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n",
			"x.yaml:2:30: load.duration: 300ms is less than the minimum 1s (rates are per second; a shorter period gives meaningless rates) (after time_scale x100: the value checked is the one written divided by 100"},
		{"zero retry delay", "time_scale: 1000000\nload: {rate: 10/s, duration: 300h}\nsubscribers: [{name: a}]\nsystems: {webhook: {retry: {initial: 100ns, max: 1s}}}\n",
			"systems.webhook.retry.initial: must be greater than 0 (after time_scale x1000000: the value checked is the one written divided by 1000000; use a smaller time_scale or a longer value) (allowed: more than 0s, at most 1h0m0s)"},
		{"below 1", "time_scale: 0.5\nload: {rate: 10/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n",
			"x.yaml:1:13: time_scale: 0.5 is out of range"},
		{"not a number", "time_scale: fast\nload: {rate: 10/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n",
			"x.yaml:1:13: time_scale: must be a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes("x.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant one containing %q", err, c.want)
			}
		})
	}
}

func TestCompressionNote(t *testing.T) {
	sc, err := LoadBytes("n.yaml", []byte("time_scale: 1000\nload: {rate: 10/s, duration: 2h, drain: 28h}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	n := CompressionNote(b)
	for _, want := range []string{"time-compressed x1000", "measured period 7.2s (2h0m0s in scenario time)", "drain up to 1m40.8s (28h0m0s in scenario time)", "warm-up 2ms (2s in scenario time)"} {
		if !strings.Contains(n, want) {
			t.Errorf("note %q lacks %q", n, want)
		}
	}
	sc.TimeScale = 0
	if b, _ = json.Marshal(sc); CompressionNote(b) != "" {
		t.Error("a real-time run got a compression note")
	}
}

func TestJoinAtValidation(t *testing.T) {
	const head = "load: {rate: 10/s, duration: 10s}\nsubscribers: [{name: a, join_at: %s}]\nsystems: %s\n"
	cases := []struct{ join, systems, want string }{
		{"5s", "{webhook: {}}", ""},
		{"10s", "{webhook: {}}", "x.yaml:2:34: subscribers[0].join_at: 10s is at or after the end of the measured period (10s)"},
		{"5s", "{webhook: {}, kafka: {}}", ""}, // a late consumer group replays (runners/kafka/latejoin.go)
		{"5s", "{bridge: {}}", ""},
		{"-1s", "{webhook: {}}", `subscribers[0].join_at: "-1s" is negative`},
	}
	for _, c := range cases {
		_, err := LoadBytes("x.yaml", []byte(fmt.Sprintf(head, c.join, c.systems)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("join_at %s with %s: %v", c.join, c.systems, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("join_at %s with %s: error %v, want %q", c.join, c.systems, err, c.want)
		}
	}
	sc, err := LoadBytes("x.yaml", []byte("time_scale: 3600\nload: {rate: 10/s, duration: 6h}\nsubscribers: [{name: a, join_at: 3h}]\nsystems: {webhook: {}}\n"))
	if err != nil || sc.Subscribers[0].JoinAt.D() != 3*time.Second {
		t.Errorf("compressed join_at: %v, %v; want 3s", err, sc)
	}
}

func TestTimeScaleWithDuration(t *testing.T) {
	sc, err := LoadBytes("d.yaml", []byte("time_scale: 3600\nload: {rate: 10/s, duration: 2h}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sc.WithDuration(Duration(5 * time.Hour)) // --duration 5h, scenario time
	if err != nil || c.Load.Duration.D() != 5*time.Second {
		t.Fatalf("WithDuration(5h) at x3600: %v, %v; want 5s real", err, c.Load.Duration)
	}
}
