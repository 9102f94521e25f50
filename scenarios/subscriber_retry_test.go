package scenarios_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

// TestSubscriberRetry: subscribers[].retry loads like systems.webhook.retry
// (a preset or a hand-written policy, validated with line:column), is
// compressed by time_scale, survives count expansion as independent copies,
// and leaves the other subscribers on the system's policy.
func TestSubscriberRetry(t *testing.T) {
	const head = "time_scale: %s\nload: {rate: 10/s, duration: 10h}\nsubscribers:\n  - {name: a, count: 2, retry: %s}\n  - {name: b}\nsystems: {webhook: {retry: {max_attempts: 2}}}\n"
	cases := []struct{ scale, retry, want string }{
		{"1", "{preset: svix}", ""},
		{"1", "{schedule: [1s, 2s]}", ""},
		{"1", "{preset: svix, max_attempts: 9}", "x.yaml:4:61: subscribers[0].retry.max_attempts: the svix preset makes at most 8 attempts"},
		{"1", "{preset: svix, schedule: [1s]}", "subscribers[0].retry.schedule"},
		{"1", "{preset: nope}", "subscribers[0].retry.preset"},
		{"1", "{backoff: schedule}", "subscribers[0].retry.schedule: backoff schedule needs a schedule"},
		{"1", "{tries: 3}", `x.yaml:4:33: subscribers[0].retry.tries: unknown key "tries"`},
	}
	for _, c := range cases {
		_, err := LoadBytes("x.yaml", []byte(fmt.Sprintf(head, c.scale, c.retry)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("retry %s: %v", c.retry, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("retry %s: error %v, want %q", c.retry, err, c.want)
		}
	}
	sc, err := LoadBytes("x.yaml", []byte(fmt.Sprintf(head, "3600", "{preset: svix}")))
	if err != nil {
		t.Fatal(err)
	}
	a1, a2, b := sc.Subscribers[0], sc.Subscribers[1], sc.Subscribers[2]
	if a1.Retry == nil || a2.Retry == nil || b.Retry != nil {
		t.Fatalf("retry a-1 %v, a-2 %v, b %v: want a's on both copies, none on b", a1.Retry, a2.Retry, b.Retry)
	}
	if r := a1.Retry; r.Preset != "svix" || r.MaxAttempts != 8 || r.Backoff != BackoffSchedule || r.Schedule[1].D() != 5*time.Minute/3600 || r.Schedule[6].D() != 10*time.Second {
		t.Errorf("compressed svix policy: %+v, want the schedule divided by 3600", *r)
	}
	a1.Retry.Schedule[0] = 0
	if a2.Retry.Schedule[0] == 0 {
		t.Error("count copies share one schedule")
	}
	if webhook.ConfigOf(sc).Retry.MaxAttempts != 2 {
		t.Errorf("system policy changed: %+v", webhook.ConfigOf(sc).Retry)
	}
}
