package webhook

import (
	"context"
	"fmt"
	"testing"

	"github.com/evbench/evbench/scenarios"
)

// crashScenario: one subscriber refuses every connection from 1 s to 4 s,
// so from 1 s every event waits in the sender's retry queue; the sender is
// killed with SIGKILL at 2 s and restarted at 3 s. Nothing the sender held
// at the kill can have been processed (the endpoint refused it), so what
// is lost is exactly what the sender's checkpoint says it held.
func crashScenario(t *testing.T, durable bool) *scenarios.Scenario {
	t.Helper()
	y := fmt.Sprintf(`load: {rate: 50/s, duration: 5s, warmup: 0s, drain: 15s}
subscribers:
  - name: a
    faults: [{kind: down, at: 1s, for: 3s}]
systems:
  webhook:
    retry: {max_attempts: 100, backoff: exponential, initial: 100ms, max: 300ms, jitter: 0}
    durable_queue: %v
    faults: [{kind: sender-crash, at: 2s, for: 1s}]
`, durable)
	sc, err := scenarios.LoadBytes("crash.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestSenderCrashLosesWhatItHeld: the in-memory sender's queue and retry
// timers die with it: lost equals exactly the deliveries its own last
// checkpoint said it held at the kill, attributed to sender_crash; the
// events intended while it was down are handed to the restarted sender and
// delivered.
func TestSenderCrashLosesWhatItHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 5 s point with a sender child process")
	}
	out := run(t, context.Background(), crashScenario(t, false))
	sp := out.pt.SenderProcess
	if sp == nil || len(sp.Crashes) != 1 || sp.Restarts != 1 {
		t.Fatalf("sender_process %+v: want one crash and one restart", sp)
	}
	cr := sp.Crashes[0]
	a := out.byKey["a"].Accounting
	t.Logf("crash %+v; accounting %+v; sender CPU %.3fs user %.3fs sys", cr, a, sp.CPUUserS, sp.CPUSysS)
	if cr.Held != cr.Recorded {
		t.Errorf("held %d, recorded lost %d: an in-memory sender loses all it holds", cr.Held, cr.Recorded)
	}
	if cr.Completed != 0 || cr.Lost != cr.Held {
		t.Errorf("crash %+v: the endpoint refused every attempt, so none completed and all %d were lost", cr, cr.Held)
	}
	if a.Lost != cr.Held || a.LostBy.SenderCrash != cr.Held {
		t.Errorf("lost %d (sender_crash %d), want exactly the %d deliveries the sender held at the kill", a.Lost, a.LostBy.SenderCrash, cr.Held)
	}
	// About 1 s of events (50) were waiting for a retry at the kill; the
	// bound is loose for a loaded machine, the equality above is exact.
	if cr.Held < 25 || cr.Held > 75 {
		t.Errorf("held %d at the kill, want about 50 (the events since the endpoint went down at 1 s)", cr.Held)
	}
	if a.DeadLettered != 0 || a.Sent != 250 || a.Delivered+a.Lost != a.Sent {
		t.Errorf("accounting %+v: want 250 sent, none dead-lettered, processed + lost = sent", a)
	}
	// Timers fire late on a loaded machine, never early.
	if cr.StartS < 1.99 || cr.EndS < 2.99 || cr.EndS <= cr.StartS {
		t.Errorf("crash window %.3fs..%.3fs, want from 2 s to 3 s (or later)", cr.StartS, cr.EndS)
	}
	checkCrashAvailability(t, out)
}

// checkCrashAvailability: a point whose only fault is a sender crash has
// availability figures like a broker fault's. Nothing is delivered while
// the endpoint is down (1 s to 4 s, the crash inside it), so the longest
// gap without a delivery is about 3 s.
func checkCrashAvailability(t *testing.T, out runOut) {
	t.Helper()
	av := out.pt.Availability
	if av == nil {
		t.Fatal("no availability figures for a point with a sender crash")
	}
	t.Logf("availability %+v", *av)
	if av.LongestDeliveryGapS < 2.9 || av.LongestDeliveryGapS > 6 {
		t.Errorf("longest delivery gap %.2fs, want about 3 s (the endpoint was down from 1 s to 4 s)", av.LongestDeliveryGapS)
	}
}

// TestSenderCrashDurableQueue: with the outbox the same crash loses
// nothing: the restarted sender delivers what the killed one held.
func TestSenderCrashDurableQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 5 s point with a sender child process")
	}
	out := run(t, context.Background(), crashScenario(t, true))
	sp := out.pt.SenderProcess
	if sp == nil || len(sp.Crashes) != 1 || !sp.DurableQueue {
		t.Fatalf("sender_process %+v: want one crash of a durable sender", sp)
	}
	cr := sp.Crashes[0]
	a := out.byKey["a"].Accounting
	t.Logf("crash %+v; accounting %+v; outbox %d commits %d bytes; sender CPU %.3fs user %.3fs sys", cr, a, sp.OutboxCommits, sp.OutboxBytes, sp.CPUUserS, sp.CPUSysS)
	if cr.Held < 25 || cr.Recorded != 0 {
		t.Errorf("crash %+v: want about 50 held, none recorded lost", cr)
	}
	if a.Lost != 0 || a.Delivered != 250 {
		t.Errorf("lost %d, processed %d: a durable queue loses nothing (250 sent)", a.Lost, a.Delivered)
	}
	if sp.OutboxCommits == 0 {
		t.Error("no outbox commits")
	}
	checkCrashAvailability(t, out)
}

// TestSenderCrashInFlightCompleted: attempts in flight at the kill that
// the receiver finishes anyway are delivered, not lost, and the crash's
// record says so: held N, M completed by the receiver, K lost, with K
// equal to the subscriber's lost_by.sender_crash. Before Completed and
// Lost existed, the crash said "held N, N recorded lost" next to lost 0.
func TestSenderCrashInFlightCompleted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3 s point with a sender child process")
	}
	y := `load: {rate: 50/s, duration: 3s, warmup: 0s, drain: 15s}
subscribers:
  - name: a
    processing: 400ms
systems:
  webhook:
    timeout: 5s
    faults: [{kind: sender-crash, at: 1s, for: 1s}]
`
	sc, err := scenarios.LoadBytes("inflight.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, context.Background(), sc)
	sp := out.pt.SenderProcess
	if sp == nil || len(sp.Crashes) != 1 {
		t.Fatalf("sender_process %+v: want one crash", sp)
	}
	cr := sp.Crashes[0]
	a := out.byKey["a"].Accounting
	t.Logf("crash %+v; accounting %+v; %s", cr, a, sp.CrashOutcome(cr))
	// About 0.4 s of events (20) are being processed at any moment.
	if cr.Held < 5 || cr.Recorded != cr.Held {
		t.Errorf("crash %+v: want the attempts in flight (about 20) held and recorded", cr)
	}
	if cr.Completed == 0 || cr.Completed+cr.Lost != cr.Recorded {
		t.Errorf("crash %+v: want completed > 0 (the receiver finished attempts in flight) and completed + lost = recorded", cr)
	}
	if a.LostBy.SenderCrash != cr.Lost || a.Lost != cr.Lost || a.Delivered+a.Lost != a.Sent {
		t.Errorf("accounting %+v: want lost = lost_by.sender_crash = the crash's lost %d", a, cr.Lost)
	}
}
