package webhook

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
)

// startSinkProcess builds evbench and starts `evbench sink` as a separate
// process with args, returning its webhook URL; the sink is stopped by
// its PID when the test ends.
func startSinkProcess(t *testing.T, bin string, secret *Secret, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sink", "--addr", "127.0.0.1:0", "--secret-env", "EVBENCH_SINK_SECRET"}, args...)...)
	cmd.Env = append(os.Environ(), "EVBENCH_SINK_SECRET="+secret.Encode())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Stop this sink by its PID (Ctrl-C), killing it only if it hangs.
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " listening on "); ok {
				u, _, _ = strings.Cut(u, " ")
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("evbench sink did not announce its URL within 60 s")
		return ""
	}
}

func buildEvbench(t *testing.T) string {
	t.Helper()
	bin := t.TempDir() + "/evbench"
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "github.com/evbench/evbench/cmd/evbench").CombinedOutput(); err != nil {
		t.Fatalf("build evbench: %v\n%s", err, out)
	}
	return bin
}

// TestSinkLedgerSeparateProcess: two `evbench sink` processes are url
// subscribers with sink_ledger, and the point accounts for them from their
// ledgers, exactly:
//   - "early" answers before processing 20 ms: acknowledgements would put
//     e2e near 0; the ledger's is processing-complete, >= 20 ms;
//   - "slow" processes 300 ms, longer than the 100 ms attempt timeout, with
//     one attempt: every delivery is dead-lettered at the sender, which by
//     acknowledgements would be 100% lost, yet the sink processed every
//     event: the ledger counts them delivered (after dead letter), none lost.
func TestSinkLedgerSeparateProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds evbench")
	}
	bin := buildEvbench(t)
	sc := testScenario(50, 2*time.Second, 0, 5*time.Second)
	sec := withSecret(t, sc)
	early := startSinkProcess(t, bin, sec, "--name", "early", "--processing", "20ms", "--ack", "before-processing")
	slow := startSinkProcess(t, bin, sec, "--name", "slow", "--processing", "300ms")
	ConfigOf(sc).Timeout = dur(100 * time.Millisecond)
	ConfigOf(sc).Retry.MaxAttempts = 1
	se, ss := external("early", early), external("slow", slow)
	se.SinkLedger, ss.SinkLedger = true, true
	sc.Subscribers = []scenarios.Subscriber{se, ss}

	out := run(t, context.Background(), sc)
	for _, name := range []string{"early", "slow"} {
		s := out.byKey[name]
		ep := s.Endpoint
		if ep == nil || ep.Mode != results.EndpointSinkLedger || ep.LedgerIDs == nil || *ep.LedgerIDs != 100 || ep.ClockSkewUS == nil || ep.ClockSkewBoundUS == nil {
			t.Fatalf("%s: endpoint %+v", name, ep)
		}
		// One host, one clock: the estimate is 0 within its bound (half
		// the ledger request's round trip), plus a millisecond for the
		// sink's own time to build the answer.
		if skew, bound := *ep.ClockSkewUS, *ep.ClockSkewBoundUS; skew < -bound-1000 || skew > bound+1000 {
			t.Errorf("%s: clock skew %d us with bound %d us on one host", name, skew, bound)
		}
		t.Logf("%s: clock skew %d us (bound %d us)", name, *ep.ClockSkewUS, *ep.ClockSkewBoundUS)
		if s.Accounting.Sent != 100 || s.Accounting.Delivered != 100 || s.Accounting.Lost != 0 || s.Accounting.Duplicates != 0 || s.E2E.LatencyUS.Count != 100 {
			t.Errorf("%s: accounting %+v, e2e count %d: want 100 sent, delivered and recorded", name, s.Accounting, s.E2E.LatencyUS.Count)
		}
	}
	if e := out.byKey["early"].E2E.LatencyUS; e.P50 < 20000 {
		t.Errorf("early: e2e p50 %d us, want >= 20 ms (processing complete, not the early 2xx)", e.P50)
	}
	s := out.byKey["slow"]
	if s.Accounting.DeadLettered != 100 || s.Accounting.DeliveredAfterDeadLetter != 100 || s.E2E.LatencyUS.P50 < 300000 || s.Errors.Timeout != 100 {
		t.Errorf("slow: accounting %+v, errors %+v, e2e p50 %d us: want 100 timed out and dead-lettered, all processed after >= 300 ms",
			s.Accounting, s.Errors, s.E2E.LatencyUS.P50)
	}
	if len(deadFor(out.dead, "slow")) != 100 {
		t.Errorf("slow: %d dead-letter lines, want 100", len(deadFor(out.dead, "slow")))
	}
}

// TestSinkLedgerUnreadableFailsPoint: sink_ledger on a receiver that serves
// no ledger fails the point loudly rather than passing acknowledgements
// off as processing.
func TestSinkLedgerUnreadableFailsPoint(t *testing.T) {
	sc := testScenario(20, 500*time.Millisecond, 0, time.Second)
	sec := withSecret(t, sc)
	srv := httptest.NewServer(newReceiver(t, sec))
	defer srv.Close()
	sub := external("notasink", srv.URL+"/hook")
	sub.SinkLedger = true
	sc.Subscribers = []scenarios.Subscriber{sub}
	r, err := runners.New(System)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := r.Run(context.Background(), &runners.Point{Scenario: sc, Logf: t.Logf, InterruptDrain: dur(time.Second)})
	if err == nil || !strings.Contains(err.Error(), "subscriber notasink: sink ledger: read ledger") {
		t.Fatalf("err = %v, want the ledger read failure", err)
	}
	if pt == nil || pt.Status != results.StatusFailed || !strings.Contains(pt.Error, "sink ledger") {
		t.Fatalf("point %+v: want failed with the reason", pt)
	}
}
