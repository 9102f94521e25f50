package bridge

import (
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

// crashScenario: 100 events/s for 3 s, no warm-up; the bridge process is
// killed with SIGKILL 1 s into the measured period and restarted 1 s later.
func crashScenario(brokers, ack string, linger time.Duration) *scenarios.Scenario {
	sc := scenario(brokers, ack, 2, 1)
	sc.Load.Rate = 100
	sc.Load.Duration = scenarios.Duration(3 * time.Second)
	sc.Load.Warmup = 0
	sc.Load.Drain = scenarios.Duration(30 * time.Second)
	kafka.ConfigOf(sc).Linger = scenarios.Duration(linger)
	ConfigOf(sc).Timeout = scenarios.Duration(10 * time.Second)
	ConfigOf(sc).MaxInFlight = 1000
	ConfigOf(sc).Faults = []scenarios.InfraFault{{Kind: scenarios.FaultBridgeCrash, At: scenarios.Duration(time.Second), For: scenarios.Duration(time.Second)}}
	return sc
}

func crashOf(t *testing.T, res *results.Point) results.Crash {
	t.Helper()
	bp := res.BridgeProcess
	if bp == nil || len(bp.Crashes) != 1 || bp.Restarts != 1 {
		t.Fatalf("bridge_process %+v: want one crash and one restart", bp)
	}
	cr := bp.Crashes[0]
	t.Logf("crash %+v; bridge CPU %.3fs user %.3fs sys", cr, bp.CPUUserS, bp.CPUSysS)
	// Timers fire late on a loaded machine, never early.
	if cr.StartS < 0.99 || cr.EndS < 1.99 || cr.EndS <= cr.StartS {
		t.Errorf("crash window %.3fs..%.3fs, want from 1 s to 2 s (or later)", cr.StartS, cr.EndS)
	}
	// A point whose only fault is a bridge crash has availability figures:
	// no produce acknowledgement while the bridge is dead (about 1 s).
	av := res.Availability
	if av == nil {
		t.Fatal("no availability figures for a point with a bridge crash")
	}
	t.Logf("availability %+v", *av)
	if av.LongestPublishGapS < 0.9 || av.LongestDeliveryGapS <= 0 {
		t.Errorf("longest publish gap %.2fs, delivery gap %.2fs: want at least about 1 s without a produce ack (the bridge was dead from 1 s to 2 s)", av.LongestPublishGapS, av.LongestDeliveryGapS)
	}
	return cr
}

// TestBridgeCrashAckBeforeProduceLosesInFlight: a bridge that answers 202
// before producing loses, at a SIGKILL, exactly the records it had answered
// and Kafka had not acknowledged. A 5 s linger keeps every record of the
// first second in the producer's buffer at the kill (none can have reached
// Kafka), so every group loses exactly what the bridge's checkpoint held,
// attributed to bridge_crash; events sent after the restart all arrive.
func TestBridgeCrashAckBeforeProduceLosesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a bridge child process")
	}
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			res := run(t, &Runner{}, crashScenario(tg.brokers, AckBeforeProduce, 5*time.Second))
			cr := crashOf(t, res)
			if cr.Held < 50 || cr.Recorded != cr.Held || cr.Completed != 0 || cr.Lost != cr.Held {
				t.Errorf("crash %+v: want about 100 held (1 s of events), all recorded, none completed (linger 5 s), all lost", cr)
			}
			for _, s := range res.Subscribers {
				a := s.Accounting
				t.Logf("%s: %+v", s.Name, a)
				if a.Lost != cr.Held || a.LostBy.BridgeCrash != cr.Held || a.Sent != 300 {
					t.Errorf("%s: lost %d (bridge_crash %d) of %d sent, want exactly the %d records the bridge held", s.Name, a.Lost, a.LostBy.BridgeCrash, a.Sent, cr.Held)
				}
			}
		})
	}
}

// TestBridgeCrashAckAfterProduceLosesNothing: a bridge that answers only
// after Kafka's ack loses nothing at a SIGKILL: the upstream sender retries
// what was not acknowledged (and what Kafka had but the bridge never
// answered arrives twice, counted as duplicates).
func TestBridgeCrashAckAfterProduceLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a bridge child process")
	}
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			res := run(t, &Runner{}, crashScenario(tg.brokers, AckAfterProduce, 200*time.Millisecond))
			cr := crashOf(t, res)
			if cr.Recorded != 0 {
				t.Errorf("crash %+v: after-produce records nothing lost", cr)
			}
			if cr.Held == 0 {
				t.Logf("the bridge held nothing at the kill (no record between hand-off and ack)")
			}
			for _, s := range res.Subscribers {
				a := s.Accounting
				t.Logf("%s: %+v", s.Name, a)
				if a.Lost != 0 || a.Delivered != 300 {
					t.Errorf("%s: lost %d, delivered %d of 300: after-produce loses nothing", s.Name, a.Lost, a.Delivered)
				}
			}
			if res.PublishErrors == nil || res.PublishErrors.Refused+res.PublishErrors.Other+res.PublishErrors.Timeout == 0 {
				t.Errorf("publish errors %+v: the sender's requests during the crash should have failed", res.PublishErrors)
			}
		})
	}
}
