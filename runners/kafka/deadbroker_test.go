package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
)

// TestDeadBrokerFailsThePoint is the regression test for issue 9 item 7:
// the broker was killed mid-run and never came back, yet the point was
// complete with publish_errors all 0 (the unacknowledged records were only
// a note). The broker here is a kfake cluster the test closes 1 s into the
// load: every record not acknowledged by the end of the drain must be a
// publish error (class refused: the broker is unavailable), the point
// failed with an error saying so, and the ledger balanced.
func TestDeadBrokerFailsThePoint(t *testing.T) {
	c, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := testScenario("dead-broker", Embedded, scOpts{
		rate: 200, warmup: 200 * time.Millisecond, duration: 2 * time.Second, drain: 2 * time.Second,
		subs: 1, members: 1, partitions: 2, acks: AcksAll, processing: time.Millisecond,
	})
	r := &Runner{OnGroups: func(*Groups) {
		time.AfterFunc(time.Second, c.Close)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf,
		Brokers: strings.Join(c.ListenAddrs(), ",")})
	checkDeadBroker(t, res, err)
}

// checkDeadBroker asserts what a user checks after a broker died for good.
func checkDeadBroker(t *testing.T, res *results.Point, err error) {
	t.Helper()
	var ue *UnackedError
	if !errors.As(err, &ue) || ue.N == 0 {
		t.Fatalf("err %v: want an *UnackedError naming the unacknowledged records", err)
	}
	if res == nil {
		t.Fatal("no results")
	}
	t.Logf("status %s, error %q, publish errors %+v", res.Status, res.Error, res.PublishErrors)
	if res.Status != results.StatusFailed || !strings.Contains(res.Error, "never acknowledged") {
		t.Errorf("status %s error %q: want failed, naming the unacknowledged records", res.Status, res.Error)
	}
	if res.PublishErrors == nil || res.PublishErrors.Total() < ue.N || res.PublishErrors.Refused == 0 {
		t.Errorf("publish errors %+v: want at least the %d unacknowledged records, of class refused (unavailable)", res.PublishErrors, ue.N)
	}
	for _, s := range res.Subscribers {
		a := s.Accounting
		t.Logf("%s: %+v", s.Name, a)
		if err := a.Check(); err != nil || a.Lost == 0 || a.Sent != a.Delivered+a.Lost {
			t.Errorf("%s: %+v (%v): want loss and sent == delivered + lost", s.Name, a, err)
		}
	}
}
