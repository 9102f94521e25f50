package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

// TestBridgeDeadBrokerFailsThePoint is the bridge half of issue 9 item 7:
// with the broker gone for good, every event that never got Kafka's
// acknowledgement (failed while waiting, unacknowledged at the end of the
// drain, or never sent to the ingress) is one publish error of the same
// class the kafka runner uses (refused: the broker is unavailable), the
// point is failed and the ledger balances. Each lost event is counted once:
// publish errors equal the events that never reached Kafka.
func TestBridgeDeadBrokerFailsThePoint(t *testing.T) {
	for _, ack := range []string{AckAfterProduce, AckBeforeProduce} {
		t.Run(ack, func(t *testing.T) {
			c, err := kafka.StartEmbedded()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sc := scenario(kafka.Embedded, ack, 1, 1)
			sc.Load.Drain = scenarios.Duration(2 * time.Second)
			ConfigOf(sc).Timeout = scenarios.Duration(time.Second)
			r := &Runner{OnIngress: func(*Ingress, *kafka.Groups) { time.AfterFunc(time.Second, c.Close) }}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			res, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf,
				Brokers: strings.Join(c.ListenAddrs(), ",")})
			var ue *kafka.UnackedError
			if res == nil {
				t.Fatalf("no results: %v", err)
			}
			t.Logf("status %s, error %q, publish errors %+v", res.Status, res.Error, res.PublishErrors)
			if res.Status != results.StatusFailed || err == nil {
				t.Errorf("status %s err %v: want failed", res.Status, err)
			}
			pe := res.PublishErrors
			if pe == nil || pe.Refused == 0 || pe.HTTP5xx != 0 || pe.Timeout != 0 {
				t.Errorf("publish errors %+v: want them all of class refused (unavailable), none as HTTP 5xx", pe)
			}
			if errors.As(err, &ue) && pe != nil && ue.N > pe.Total() {
				t.Errorf("%d unacknowledged but %d publish errors", ue.N, pe.Total())
			}
			for _, s := range res.Subscribers {
				a := s.Accounting
				t.Logf("%s: %+v", s.Name, a)
				if err := a.Check(); err != nil || a.Lost == 0 || a.Sent != a.Delivered+a.Lost {
					t.Errorf("%s: %+v (%v): want loss and sent == delivered + lost", s.Name, a, err)
				}
				// Warm-up events are acknowledged before the broker dies,
				// so every lost event is one publish error.
				if pe != nil && pe.Total() != a.Lost {
					t.Errorf("%s: lost %d but %d publish errors: each event that never reached Kafka counts once", s.Name, a.Lost, pe.Total())
				}
			}
		})
	}
}
