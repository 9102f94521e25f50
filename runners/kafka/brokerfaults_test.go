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

// TestBrokerFaultsEmbeddedNotApplied: the embedded broker has no process to
// stop, kill or pause; the point runs, its window is recorded as not
// applied and the notes say why.
func TestBrokerFaultsEmbeddedNotApplied(t *testing.T) {
	sc := testScenario("bf-embedded", Embedded, scOpts{rate: 200, duration: 2 * time.Second, drain: 2 * time.Second, subs: 1, members: 1, partitions: 2, acks: AcksAll})
	sc.Systems.Kafka.Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerKill, At: scenarios.Duration(500 * time.Millisecond), For: scenarios.Duration(time.Second), Target: "node 1"}}
	p, err := runFaultPoint(t, sc)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != results.StatusComplete || len(p.FaultWindows) != 1 {
		t.Fatalf("status %s, windows %+v", p.Status, p.FaultWindows)
	}
	w := p.FaultWindows[0]
	if w.Applied || w.Node != -1 || !strings.HasPrefix(w.Method, "not applied") || w.StartS != 0.5 || w.EndS != 1.5 {
		t.Errorf("window %+v: want the scheduled 0.5 s to 1.5 s, not applied", w)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "not applied: the embedded broker") {
		t.Errorf("notes do not say the fault was not applied: %q", p.Notes)
	}
	if a := p.Subscribers[0].Accounting; a.Lost != 0 || a.LostBy.BrokerFault != 0 {
		t.Errorf("accounting %+v: nothing was faulted, nothing may be lost", a)
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
	sc.Systems.Kafka.Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerKill, At: 0, For: scenarios.Duration(time.Second), Target: "node 1"}}
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
	sc.Systems.Kafka.Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerStop, At: scenarios.Duration(time.Second), For: scenarios.Duration(time.Second), Target: "leader",
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
