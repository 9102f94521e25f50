package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

// TestSenderCrashFaults: systems.webhook.faults and durable_queue load,
// are validated against the run, and are compressed by time_scale.
func TestSenderCrashFaults(t *testing.T) {
	const head = "load: {rate: 10/s, duration: 10s, warmup: 0s, drain: 5s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n"
	cases := []struct {
		name, webhook, want string
	}{
		{"one crash", "    faults: [{kind: sender-crash, at: 2s, for: 1s}]", ""},
		{"durable", "    durable_queue: true\n    faults: [{kind: sender-crash, at: 2s, for: 1s}]", ""},
		{"two in order", "    faults: [{kind: sender-crash, at: 2s, for: 1s}, {kind: sender-crash, at: 3s, for: 1s}]", ""},
		{"in the drain", "    faults: [{kind: sender-crash, at: 12s, for: 10s}]", ""},
		{"unknown kind", "    faults: [{kind: broker-kill, at: 2s, for: 1s}]", "broker-kill"},
		{"no for", "    faults: [{kind: sender-crash, at: 2s}]", "faults[0]"},
		{"zero for", "    faults: [{kind: sender-crash, at: 2s, for: 0s}]", "faults[0].for"},
		{"after the run", "    faults: [{kind: sender-crash, at: 15s, for: 1s}]", "at or after the end of the run"},
		{"overlap", "    faults: [{kind: sender-crash, at: 2s, for: 2s}, {kind: sender-crash, at: 3s, for: 1s}]", "before the previous crash's restart"},
		{"unknown key", "    faults: [{kind: sender-crash, at: 2s, for: 1s, target: 1}]", "target"},
		{"not a list", "    faults: {kind: sender-crash}", "faults"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := LoadBytes("s.yaml", []byte(head+c.webhook+"\n"))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("loaded; want an error with %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not say %q", err, c.want)
			case c.want == "":
				if len(webhook.ConfigOf(sc).Faults) == 0 || webhook.ConfigOf(sc).Faults[0].Kind != FaultSenderCrash {
					t.Fatalf("faults %+v", webhook.ConfigOf(sc).Faults)
				}
				// Clone keeps them apart.
				cl := sc.Clone()
				webhook.ConfigOf(cl).Faults[0].At = 0
				if webhook.ConfigOf(sc).Faults[0].At == 0 {
					t.Fatal("Clone shares the faults slice")
				}
			}
		})
	}
	// systems.bridge takes bridge-crash only.
	const bhead = "load: {rate: 10/s, duration: 10s, warmup: 0s, drain: 5s}\nsubscribers: [{name: a}]\nsystems:\n  bridge:\n"
	if sc, err := LoadBytes("s.yaml", []byte(bhead+"    ack: before-produce\n    faults: [{kind: bridge-crash, at: 2s, for: 1s}]\n")); err != nil || bridge.ConfigOf(sc).Faults[0].Kind != FaultBridgeCrash {
		t.Errorf("bridge-crash refused: %v", err)
	}
	if _, err := LoadBytes("s.yaml", []byte(bhead+"    faults: [{kind: sender-crash, at: 2s, for: 1s}]\n")); err == nil || !strings.Contains(err.Error(), "sender-crash") {
		t.Errorf("sender-crash on the bridge: %v, want refused", err)
	}
	sc, err := LoadBytes("s.yaml", []byte("time_scale: 100\nload: {rate: 10/s, duration: 1000s, warmup: 0s}\nsubscribers: [{name: a}]\nsystems: {webhook: {faults: [{kind: sender-crash, at: 200s, for: 100s}]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f := webhook.ConfigOf(sc).Faults[0]; f.At.D() != 2*time.Second || f.For.D() != time.Second {
		t.Errorf("time_scale 100: fault at %v for %v, want 2s for 1s", f.At.D(), f.For.D())
	}
}
