package kafka

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
)

func runFaultPoint(t *testing.T, sc *scenarios.Scenario) (*results.Point, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return (&Runner{}).Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": float64(sc.Load.Rate)}, Logf: t.Logf})
}

// TestBrokerFaultsEmbeddedEmulated: the embedded broker has no process to
// stop, kill or pause; the faults are emulated with kfake's control hooks
// and the window and notes say so. A 1 s pause holds produce and fetch
// requests (a latency spike of about 1 s, nothing lost); a 1 s kill closes
// their connections (a gap of about 1 s in acknowledgements, nothing lost:
// the in-memory broker keeps what it acknowledged).
func TestBrokerFaultsEmbeddedEmulated(t *testing.T) {
	for _, kind := range []string{scenarios.FaultBrokerPause, scenarios.FaultBrokerKill} {
		t.Run(kind, func(t *testing.T) {
			sc := testScenario("bf-embedded", Embedded, scOpts{rate: 200, duration: 3 * time.Second, drain: 5 * time.Second, subs: 1, members: 1, partitions: 2, acks: AcksAll})
			ConfigOf(sc).Faults = []scenarios.BrokerFault{{Kind: kind, At: scenarios.Duration(time.Second), For: scenarios.Duration(time.Second), Target: "node 1"}}
			p, err := runFaultPoint(t, sc)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != results.StatusComplete || len(p.FaultWindows) != 1 {
				t.Fatalf("status %s (%s), windows %+v", p.Status, p.Error, p.FaultWindows)
			}
			w := p.FaultWindows[0]
			if !w.Applied || !strings.HasPrefix(w.Method, "emulated on the embedded broker") || w.StartS < 0.9 || w.StartS > 1.3 || w.EndS-w.StartS < 0.9 || w.EndS-w.StartS > 1.3 {
				t.Errorf("window %+v: want about 1 s to 2 s, emulated", w)
			}
			if !strings.Contains(strings.Join(p.Notes, "\n"), "emulated on the embedded broker (kfake control hooks)") {
				t.Errorf("notes do not say the fault was emulated: %q", p.Notes)
			}
			a := p.Subscribers[0].Accounting
			if a.Lost != 0 || a.Delivered != a.Sent {
				t.Errorf("accounting %+v: the in-memory broker loses nothing", a)
			}
			if m := p.Subscribers[0].E2E.LatencyUS.Max; m < 700_000 || m > 7_000_000 {
				t.Errorf("e2e max %.2fs, want about the 1 s window", float64(m)/1e6)
			}
			// At least the window; after a kill, plus the client's
			// reconnect backoff (franz-go's grows to 2.5 s with jitter).
			if av := p.Availability; av == nil || av.LongestPublishGapS < 0.7 || av.LongestPublishGapS > 6 {
				t.Errorf("availability %+v: want a publish gap of the 1 s window, plus at most the client's backoff", av)
			} else {
				t.Logf("%s: publish gap %.2fs, e2e max %.2fs", kind, av.LongestPublishGapS, float64(p.Subscribers[0].E2E.LatencyUS.Max)/1e6)
			}
		})
	}
}

// singleBroker is the single real broker (EVBENCH_KAFKA_BROKERS), which no
// test may stop: it is not a node of the cluster scripts/kafka.sh started.
func singleBroker(t *testing.T) string {
	b := strings.TrimSpace(os.Getenv("EVBENCH_KAFKA_BROKERS"))
	if b == "" {
		t.Skip("EVBENCH_KAFKA_BROKERS is not set")
	}
	return b
}

// TestBrokerFaultsRefusedOnForeignCluster: a fault without a command on a
// cluster evbench did not start is refused before the load, as bad input,
// saying what to do.
func TestBrokerFaultsRefusedOnForeignCluster(t *testing.T) {
	sc := testScenario("bf-refused", singleBroker(t), scOpts{rate: 100, duration: time.Second, drain: time.Second, subs: 1, members: 1, partitions: 1, acks: AcksAll})
	ConfigOf(sc).Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerKill, At: 0, For: scenarios.Duration(time.Second), Target: "node 1"}}
	_, err := runFaultPoint(t, sc)
	var be *BrokerFaultError
	if !errors.As(err, &be) || !be.BadInput() {
		t.Fatalf("err %v: want a bad-input *BrokerFaultError", err)
	}
	for _, want := range []string{"cannot apply broker faults", "command", "scripts/kafka.sh up --nodes 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestBrokerFaultCommand: on a cluster evbench did not start, the fault's
// start and end commands run at the window's edges with the fault in
// their environment (here they only write files: the single broker is
// never touched), and the window is recorded as applied by command.
func TestBrokerFaultCommand(t *testing.T) {
	sc := testScenario("bf-command", singleBroker(t), scOpts{rate: 100, duration: 3 * time.Second, drain: 2 * time.Second, subs: 1, members: 1, partitions: 1, acks: AcksAll})
	dir := t.TempDir()
	ConfigOf(sc).Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerStop, At: scenarios.Duration(time.Second), For: scenarios.Duration(time.Second), Target: "leader",
		Command: &scenarios.FaultCommand{
			Start:   `echo "$EVBENCH_FAULT_KIND $EVBENCH_FAULT_TARGET $EVBENCH_FAULT_NODE $EVBENCH_FAULT_PHASE" > ` + filepath.Join(dir, "start"),
			End:     `echo "$EVBENCH_FAULT_PHASE" > ` + filepath.Join(dir, "end"),
			Timeout: scenarios.Duration(10 * time.Second)}}}
	p, err := runFaultPoint(t, sc)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != results.StatusComplete || len(p.FaultWindows) != 1 {
		t.Fatalf("status %s (%s), windows %+v", p.Status, p.Error, p.FaultWindows)
	}
	w := p.FaultWindows[0]
	if !w.Applied || w.Method != "command" || w.Node < 0 || w.StartS < 0.9 || w.StartS > 1.5 || w.EndS-w.StartS < 0.9 || w.EndS-w.StartS > 1.5 {
		t.Errorf("window %+v: want applied by command, about 1 s to 2 s", w)
	}
	start, _ := os.ReadFile(filepath.Join(dir, "start"))
	end, _ := os.ReadFile(filepath.Join(dir, "end"))
	if got := strings.Fields(string(start)); len(got) != 4 || got[0] != "broker-stop" || got[1] != "leader" || got[3] != "start" {
		t.Errorf("start command saw %q", start)
	}
	if strings.TrimSpace(string(end)) != "end" {
		t.Errorf("end command saw %q", end)
	}
	if p.Availability == nil || p.Availability.LongestPublishGapS > 1 {
		t.Errorf("availability %+v: nothing was really stopped, the publish gap stays small", p.Availability)
	}
}
