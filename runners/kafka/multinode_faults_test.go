package kafka_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Broker faults from the scenario (systems.kafka.faults) on the 3-node
// cluster scripts/kafka.sh started: the runner signals the nodes by PID.
// Each test leaves all three nodes running (resumed and started again in
// cleanup, whatever happened).

// faultCluster is the cluster's bootstrap list, skipping when it is not the
// cluster scripts/kafka.sh started (the runner would refuse the faults).
// Cleanup resumes and starts every node, waiting until each accepts
// connections.
func faultCluster(t *testing.T) string {
	t.Helper()
	brokers := clusterBrokers(t)
	if got := strings.TrimSpace(kafkaScript(t, "brokers")); got != brokers {
		t.Skipf("%s=%s is not the cluster scripts/kafka.sh started (%s): cannot fault its nodes", clusterEnv, brokers, got)
	}
	t.Cleanup(func() { allNodesUp(t, brokers) })
	return brokers
}

// allNodesUp resumes and starts every node, then waits until the cluster's
// metadata lists all three brokers again (a restarted node accepts
// connections a little before the controller unfences it).
func allNodesUp(t *testing.T, brokers string) {
	script, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "kafka.sh"))
	for _, n := range []string{"1", "2", "3"} {
		_ = exec.Command("bash", script, "resume", n).Run() // fails when not paused: fine
		if out, err := exec.Command("bash", script, "start", n).CombinedOutput(); err != nil {
			t.Errorf("leaving node %s running: %v\n%s", n, err, out)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// A fresh client each time: a client keeps the metadata it read.
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		cancel()
		cl.Close()
		if err == nil && len(m.Brokers) == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the cluster does not list 3 brokers 2 minutes after every node was started (%v, %v)", m.Brokers, err)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// faultPoint runs one kafka point with fault f applied from the scenario.
func faultPoint(t *testing.T, sc *scenarios.Scenario, f scenarios.BrokerFault) *results.Point {
	t.Helper()
	kafka.ConfigOf(sc).Faults = []scenarios.BrokerFault{f}
	r, err := runners.New(kafka.System)
	if err != nil {
		t.Fatal(err)
	}
	p := runOn(t, r, sc, 4*time.Minute)
	for _, n := range p.Notes {
		t.Logf("note: %s", n)
	}
	if len(p.FaultWindows) != 1 {
		t.Fatalf("status %s (%s): %d fault windows, want 1", p.Status, p.Error, len(p.FaultWindows))
	}
	w := p.FaultWindows[0]
	if !w.Applied || !strings.HasPrefix(w.Method, "signal pid ") || w.Node < 1 || w.Node > 3 || w.Kind != f.Kind || w.Target != f.Target {
		t.Errorf("window %+v: want %s of %s applied by signal to a node 1-3", w, f.Kind, f.Target)
	}
	if d := w.EndS - w.StartS; d < f.For.D().Seconds()-0.5 || (f.For > 0 && d > f.For.D().Seconds()+5) {
		t.Errorf("window %+v lasted %.1fs, want about %v", w, d, f.For)
	}
	var series []string
	for _, smp := range p.Timeseries {
		u, i := int64(-1), int64(-1)
		if smp.UnderReplicated != nil {
			u, i = *smp.UnderReplicated, *smp.ISRMin
		}
		series = append(series, fmt.Sprintf("%.0fs lag %d p99 %.2fs urp %d isr %d", smp.TS, smp.Lag, float64(smp.P99US)/1e6, u, i))
	}
	t.Logf("window %+v; availability %+v; publish errors %+v; series: %s", w, p.Availability, p.PublishErrors, strings.Join(series, "; "))
	return p
}

func sec(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }

// TestMultiNodeFaultKillLeaderDurable: SIGKILL the leader of partition 0
// for 8 s (longer than the cluster's 6 s broker session timeout, so it is
// fenced and leadership moves) under replication factor 3,
// min.insync.replicas 2, acks all and idempotence: nothing is lost,
// duplicates are counted, the topic shows under-replicated partitions
// while the node is down, and the publish gap is measured.
func TestMultiNodeFaultKillLeaderDurable(t *testing.T) {
	brokers := faultCluster(t)
	sc := durableQuickstart(t, brokers, 16*time.Second)
	sc.Load.Drain = sec(40 * time.Second)
	p := faultPoint(t, sc, scenarios.BrokerFault{Kind: scenarios.FaultBrokerKill, At: sec(3 * time.Second), For: sec(8 * time.Second), Target: "leader"})
	dups := checkNoLoss(t, "kafka, leader killed", p)
	for _, s := range p.Subscribers {
		if s.Accounting.LostBy.BrokerFault != 0 {
			t.Errorf("%s: lost_by.broker_fault %d with nothing lost", s.Name, s.Accounting.LostBy.BrokerFault)
		}
	}
	var urp, isr1 bool
	for _, smp := range p.Timeseries {
		if smp.UnderReplicated != nil && *smp.UnderReplicated > 0 {
			urp = true
		}
		if smp.ISRMin != nil && *smp.ISRMin == 2 {
			isr1 = true
		}
	}
	if !urp || !isr1 {
		t.Errorf("the per-second series never showed under-replicated partitions (%v) or an ISR of 2 (%v) while a node of 3 was down", urp, isr1)
	}
	av := p.Availability
	if av == nil || av.LongestPublishGapS <= 0 || av.LongestDeliveryGapS <= 0 || av.RecoveryS == nil {
		t.Fatalf("availability %+v: want gaps and a recovery time", av)
	}
	if av.LongestPublishGapS > 12 {
		t.Errorf("longest publish gap %.1fs: acks must resume once leadership moves (6 s session timeout) or the node is back (8 s)", av.LongestPublishGapS)
	}
	t.Logf("leader kill, RF 3: lost 0, duplicates %d, publish gap %.1fs, delivery gap %.1fs, recovery %.1fs", dups, av.LongestPublishGapS, av.LongestDeliveryGapS, *av.RecoveryS)
}

// TestMultiNodeFaultKillRF1: with replication factor 1, SIGKILL the leader
// of partition 0 until the end of the point: its partitions can take no
// record, so every event sent to them after the kill is lost, and that
// loss is counted exactly and attributed to the fault: lost_by.broker_fault
// equals the records Kafka never acknowledged (each counted once as a
// publish error), the same events at every subscriber, and the rest of
// the loss (acknowledged before the kill, not yet consumed) is
// not_delivered. The point completes: the loss is the measurement.
func TestMultiNodeFaultKillRF1(t *testing.T) {
	brokers := faultCluster(t)
	const rate, dur, at = 200, 8 * time.Second, 3 * time.Second
	sc := durableQuickstart(t, brokers, dur)
	sc.Load.Rate = rate
	sc.Load.Warmup = 0 // every record is a measured event: publish errors count measured events only
	sc.Load.Drain = sec(5 * time.Second)
	kafka.ConfigOf(sc).Topic.ReplicationFactor = 1
	kafka.ConfigOf(sc).Topic.Configs = nil
	p := faultPoint(t, sc, scenarios.BrokerFault{Kind: scenarios.FaultBrokerKill, At: sec(at), Target: "leader"})
	if p.Status != results.StatusComplete {
		t.Fatalf("status %s (%s): a measured loss is not a failed point", p.Status, p.Error)
	}
	if p.PublishErrors == nil {
		t.Fatal("no publish errors recorded")
	}
	unacked := p.PublishErrors.Total()
	// The killed node leads 1 to 6 of 6 partitions (leaders are spread
	// by key hash, so about a third): at least one partition's share of
	// what was sent after the kill, at most everything after it.
	after := float64(rate) * (dur - at).Seconds()
	if float64(unacked) < after/6*0.5 || float64(unacked) > after*1.1 {
		t.Errorf("%d records never acknowledged, want between %.0f and %.0f (one to six of six partitions for %v at %d/s)", unacked, after/6*0.5, after*1.1, dur-at, rate)
	}
	for _, s := range p.Subscribers {
		a := s.Accounting
		if err := a.Check(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if a.LostBy.BrokerFault != unacked {
			t.Errorf("%s: lost_by.broker_fault %d, want exactly the %d records Kafka never acknowledged", s.Name, a.LostBy.BrokerFault, unacked)
		}
		if a.Lost != a.LostBy.BrokerFault+a.LostBy.NotDelivered || a.LostBy.RetriesExhausted+a.LostBy.EndpointGone+a.LostBy.QueueOverflow != 0 {
			t.Errorf("%s: lost %d by %+v: want broker_fault + not_delivered only", s.Name, a.Lost, a.LostBy)
		}
		// Acknowledged before the kill but not consumed yet: a consumer
		// keeping up at 200/s is at most a second behind.
		if a.LostBy.NotDelivered > rate {
			t.Errorf("%s: %d acknowledged records not delivered: more than a second of load", s.Name, a.LostBy.NotDelivered)
		}
		t.Logf("%s: sent %d delivered %d lost %d (broker_fault %d, not_delivered %d) duplicates %d", s.Name, a.Sent, a.Delivered, a.Lost, a.LostBy.BrokerFault, a.LostBy.NotDelivered, a.Duplicates)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "lost_by.broker_fault") {
		t.Errorf("the notes do not explain the loss: %q", p.Notes)
	}
}

// TestMultiNodeFaultPause: SIGSTOP the leader of partition 0 for 5 s (under
// the 6 s session timeout: it is not fenced, and with acks all every
// partition it replicates waits for it): a latency spike of about 5 s,
// nothing lost.
func TestMultiNodeFaultPause(t *testing.T) {
	brokers := faultCluster(t)
	sc := durableQuickstart(t, brokers, 12*time.Second)
	sc.Load.Drain = sec(30 * time.Second)
	p := faultPoint(t, sc, scenarios.BrokerFault{Kind: scenarios.FaultBrokerPause, At: sec(3 * time.Second), For: sec(5 * time.Second), Target: "leader"})
	checkNoLoss(t, "kafka, leader paused", p)
	for _, s := range p.Subscribers {
		if m := s.E2E.LatencyUS.Max; m < 4_000_000 || m > 9_000_000 {
			t.Errorf("%s: e2e max %.2fs, want a spike of about 5 s (4 s to 9 s)", s.Name, float64(m)/1e6)
		}
	}
	// A spike caused by the pause: the slowest second of the series is in
	// the window or just after it (what was held is delivered then), and
	// it is about 5 s.
	w := p.FaultWindows[0]
	var worst results.Sample
	for _, smp := range p.Timeseries {
		if smp.P99US > worst.P99US {
			worst = smp
		}
	}
	if worst.TS < w.StartS || worst.TS > w.EndS+4 || worst.P99US < 4_000_000 {
		t.Errorf("the slowest second is %.0f s (p99 %.2fs): want about 5 s, during or just after the pause (%.1f s to %.1f s)", worst.TS, float64(worst.P99US)/1e6, w.StartS, w.EndS)
	}
	if av := p.Availability; av == nil || av.LongestPublishGapS < 3.5 || av.LongestPublishGapS > 8 {
		t.Errorf("availability %+v: want a publish gap of about 5 s", av)
	}
	if p.Publish != nil {
		t.Logf("publish max %.2fs", float64(p.Publish.LatencyUS.Max)/1e6)
	}
}

// TestMultiNodeFaultStopController: SIGTERM the active KRaft controller (a
// controlled shutdown: it hands over its leaderships and the quorum elects
// another controller) for 5 s under RF 3, min.insync.replicas 2, acks all:
// nothing lost, and the node the window names was the controller.
func TestMultiNodeFaultStopController(t *testing.T) {
	brokers := faultCluster(t)
	sc := durableQuickstart(t, brokers, 12*time.Second)
	sc.Load.Drain = sec(30 * time.Second)
	p := faultPoint(t, sc, scenarios.BrokerFault{Kind: scenarios.FaultBrokerStop, At: sec(3 * time.Second), For: sec(5 * time.Second), Target: "controller"})
	dups := checkNoLoss(t, "kafka, controller stopped", p)
	if !strings.Contains(strings.Join(p.Notes, "\n"), fmt.Sprintf("node %d back in the cluster's metadata", p.FaultWindows[0].Node)) {
		t.Errorf("the notes do not say when node %d was back: %q", p.FaultWindows[0].Node, p.Notes)
	}
	t.Logf("controller (node %d) stopped: lost 0, duplicates %d, availability %+v", p.FaultWindows[0].Node, dups, p.Availability)
}
