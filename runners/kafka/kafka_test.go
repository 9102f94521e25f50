package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Integration tests run on the embedded broker always and on the real
// broker when one is set; internal/brokertest decides which.

// target is one broker the integration tests run against.
type target struct {
	name    string
	brokers string
}

func targets(t *testing.T) []target {
	var out []target
	for _, tg := range brokertest.Targets(t, Embedded) {
		out = append(out, target{tg.Name, tg.Brokers})
	}
	return out
}

// noteRealBroker logs (or fails with EVBENCH_REQUIRE_KAFKA=1) when no real
// broker is configured; it is called once per test so the message is
// visible.
func noteRealBroker(t *testing.T) { t.Helper(); brokertest.NoteMissing(t) }

type scOpts struct {
	rate       float64
	warmup     time.Duration
	duration   time.Duration
	drain      time.Duration
	subs       int
	members    int
	partitions int
	acks       string
	commit     string
	commitMode string
	processing time.Duration
	faults     []scenarios.Fault
}

// testScenario builds a fully specified scenario (no loader defaults).
func testScenario(name, brokers string, o scOpts) *scenarios.Scenario {
	if o.commit == "" {
		o.commit, o.commitMode = CommitAfterProcessing, CommitAsync
	}
	sc := &scenarios.Scenario{
		Name: name,
		Load: scenarios.Load{
			Arrival:  scenarios.ArrivalConstant,
			Rate:     scenarios.Rate(o.rate),
			Duration: scenarios.Duration(o.duration),
			Warmup:   scenarios.Duration(o.warmup),
			Drain:    scenarios.Duration(o.drain),
		},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 256}, Keys: 64, Seed: 7, Type: "order.created"},
		Systems: scenarios.NewSystems(map[string]scenarios.Block{"kafka": &Config{
			Brokers:            brokers,
			Topic:              scenarios.Topic{Partitions: o.partitions, ReplicationFactor: 1, DeleteAfter: true},
			Producers:          2,
			Acks:               o.acks,
			Linger:             scenarios.Duration(2 * time.Millisecond),
			BatchMaxBytes:      1 << 20,
			Compression:        "none",
			MaxBufferedRecords: 10000,
			Members:            o.members,
			Commit:             o.commit,
			CommitMode:         o.commitMode,
			StartOffset:        StartLatest,
		}}),
	}
	for i := 0; i < o.subs; i++ {
		sc.Subscribers = append(sc.Subscribers, scenarios.Subscriber{
			Name:       []string{"inventory", "shipping", "fraud", "email", "search"}[i%5],
			Processing: scenarios.Dist{Kind: scenarios.DistFixed, Value: float64(o.processing)},
			Ack:        scenarios.AckAfterProcessing,
			Count:      1,
			Faults:     o.faults,
		})
	}
	return sc
}

func runPoint(t *testing.T, r *Runner, sc *scenarios.Scenario) *results.Point {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pt := &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": float64(sc.Load.Rate)}, Logf: t.Logf}
	res, err := r.Run(ctx, pt)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != results.StatusComplete {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	return res
}

// checkBrokerKind asserts that results name the broker a user ran against
// in the point's typed broker fields.
func checkBrokerKind(t *testing.T, tg target, p *results.Point) {
	t.Helper()
	k := p.BrokerKind
	switch tg.name {
	case "embedded":
		if !p.BrokerEmbedded || !strings.Contains(k, "not disk-backed") {
			t.Errorf("broker kind %q (embedded %v): want the embedded in-memory broker", k, p.BrokerEmbedded)
		}
	default:
		if p.BrokerEmbedded || !strings.HasPrefix(k, "Apache Kafka") {
			t.Errorf("broker kind %q (embedded %v): want it to name Apache Kafka", k, p.BrokerEmbedded)
		}
	}
}

// expectedSent is the number of measured events a constant schedule offers.
func expectedSent(sc *scenarios.Scenario) int64 {
	return int64(float64(sc.Load.Rate) * sc.Load.Duration.D().Seconds())
}

func TestFanOutEveryGroupGetsEveryEventOnce(t *testing.T) {
	noteRealBroker(t)
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			sc := testScenario("fanout", tg.brokers, scOpts{
				rate: 300, warmup: 500 * time.Millisecond, duration: 3 * time.Second, drain: 15 * time.Second,
				subs: 3, members: 3, partitions: 12, acks: AcksAll, commit: CommitAfterProcessing, commitMode: CommitAsync,
				processing: time.Millisecond,
			})
			res := runPoint(t, &Runner{}, sc)
			checkBrokerKind(t, tg, res)
			want := expectedSent(sc)
			if len(res.Subscribers) != 3 {
				t.Fatalf("%d subscribers, want 3", len(res.Subscribers))
			}
			for _, s := range res.Subscribers {
				a := s.Accounting
				t.Logf("%s: %+v e2e p50 %dus p99 %dus", s.Name, a, s.E2E.LatencyUS.P50, s.E2E.LatencyUS.P99)
				if a.Sent < want-1 || a.Sent > want+1 {
					t.Errorf("%s: sent %d, want %d±1 (300/s for 3s)", s.Name, a.Sent, want)
				}
				if a.Delivered != a.Sent || a.Lost != 0 || a.Duplicates != 0 || a.OutOfOrder != 0 {
					t.Errorf("%s: want every event exactly once, in key order: %+v", s.Name, a)
				}
				if s.E2E.LatencyUS.Count != a.Delivered {
					t.Errorf("%s: %d e2e samples for %d deliveries", s.Name, s.E2E.LatencyUS.Count, a.Delivered)
				}
				// 1 ms of processing per record; a healthy local broker
				// adds milliseconds. 2 s allows for a loaded 2-core machine.
				if p := s.E2E.LatencyUS.P50; p < 1000 || p > 2_000_000 {
					t.Errorf("%s: e2e p50 %dus, want between 1ms (the processing time) and 2s", s.Name, p)
				}
				if s.Errors.Total() != 0 {
					t.Errorf("%s: errors %+v, want none", s.Name, s.Errors)
				}
			}
			if res.Publish == nil || res.Publish.LatencyUS.Count != want && res.Publish.LatencyUS.Count != res.Subscribers[0].Accounting.Sent {
				t.Errorf("publish latency samples %+v, want one per measured event (%d)", res.Publish, res.Subscribers[0].Accounting.Sent)
			}
			if res.PublishErrors == nil || res.PublishErrors.Total() != 0 {
				t.Errorf("publish errors %+v, want none", res.PublishErrors)
			}
		})
	}
}

func TestAcks(t *testing.T) {
	noteRealBroker(t)
	for _, tg := range targets(t) {
		for _, acks := range []string{Acks0, Acks1, AcksAll} {
			t.Run(tg.name+"/acks="+acks, func(t *testing.T) {
				sc := testScenario("acks", tg.brokers, scOpts{
					rate: 200, warmup: 300 * time.Millisecond, duration: 2 * time.Second, drain: 10 * time.Second,
					subs: 1, members: 1, partitions: 6, acks: acks, commit: CommitAfterProcessing, commitMode: CommitSync,
				})
				res := runPoint(t, &Runner{}, sc)
				a := res.Subscribers[0].Accounting
				t.Logf("acks=%s: %+v publish p50 %dus p99 %dus", acks, a, res.Publish.LatencyUS.P50, res.Publish.LatencyUS.P99)
				if err := a.Check(); err != nil {
					t.Fatal(err)
				}
				if want := expectedSent(sc); a.Sent < want-1 || a.Sent > want+1 {
					t.Errorf("sent %d, want %d±1", a.Sent, want)
				}
				if res.Publish.LatencyUS.Count != a.Sent {
					t.Errorf("%d publish samples for %d events: every produce should complete", res.Publish.LatencyUS.Count, a.Sent)
				}
				switch acks {
				case Acks0:
					// acks 0 promises nothing: the broker never confirms,
					// so loss is possible by design and only shows at the
					// subscribers. The run must still deliver and account.
					if a.Delivered == 0 {
						t.Errorf("acks 0 delivered nothing")
					}
				default:
					if a.Lost != 0 || a.Duplicates != 0 || a.OutOfOrder != 0 {
						t.Errorf("acks %s: want no loss, no duplicates, key order kept: %+v", acks, a)
					}
				}
			})
		}
	}
}

func TestRebalanceMemberLeavesMidRun(t *testing.T) {
	noteRealBroker(t)
	old := autoCommitInterval
	autoCommitInterval = time.Minute // no background commit before the crash: its work must come back as duplicates
	defer func() { autoCommitInterval = old }()
	for _, tg := range targets(t) {
		for _, tc := range []struct {
			name   string
			crash  bool
			commit string
		}{
			{"orderly-leave", false, CommitAfterProcessing},
			{"crash", true, CommitAuto},
		} {
			t.Run(tg.name+"/"+tc.name, func(t *testing.T) {
				sc := testScenario("rebalance", tg.brokers, scOpts{
					rate: 400, warmup: 300 * time.Millisecond, duration: 3 * time.Second, drain: 20 * time.Second,
					subs: 1, members: 3, partitions: 12, acks: AcksAll, commit: tc.commit, commitMode: CommitAsync,
					processing: 2 * time.Millisecond,
				})
				var groups *Groups
				left := make(chan error, 1)
				r := &Runner{OnGroups: func(g *Groups) {
					groups = g
					go func() {
						time.Sleep(300*time.Millisecond + time.Second) // 1 s into the measured period
						left <- g.Leave(sc.Subscribers[0].Name, 0, tc.crash)
					}()
				}}
				res := runPoint(t, r, sc)
				if err := <-left; err != nil {
					t.Fatalf("leave: %v", err)
				}
				s := res.Subscribers[0]
				a := s.Accounting
				g := groups.Group(s.Name)
				received, abandoned := g.Received(), g.Abandoned()
				t.Logf("%s: %+v received %d abandoned %d", tc.name, a, received, abandoned)
				if err := a.Check(); err != nil {
					t.Fatal(err)
				}
				if a.Lost != 0 {
					t.Errorf("lost %d: the group must still get every event after a member leaves", a.Lost)
				}
				if a.OutOfOrder != 0 {
					t.Errorf("out of order %d: a partition moves whole, in order", a.OutOfOrder)
				}
				// Counted independently: every measured record a member
				// received is a first delivery, a duplicate, or abandoned
				// mid-processing by the leaving member (and received again).
				if received != a.Delivered+a.Duplicates+abandoned {
					t.Errorf("members received %d measured records, accounting says delivered %d + duplicates %d + abandoned %d",
						received, a.Delivered, a.Duplicates, abandoned)
				}
				if tc.crash && a.Duplicates == 0 {
					t.Errorf("crashed member's uncommitted work (about a third of 1 s at 400/s) must come back as duplicates, got 0")
				}
				if !tc.crash && a.Duplicates != 0 {
					t.Errorf("an orderly leave commits what it processed: want 0 duplicates, got %d", a.Duplicates)
				}
			})
		}
	}
}

func TestTopicMismatchIsAClearError(t *testing.T) {
	noteRealBroker(t)
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if tg.brokers == Embedded {
				// Every embedded point gets its own in-memory broker, so
				// the existing topic lives on one started here; 3 brokers,
				// so a replication factor of 2 fits the cluster.
				c, err := StartEmbedded(kfake.NumBrokers(3))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				tg.brokers = strings.Join(c.ListenAddrs(), ",")
			}
			set, err := Resolve(kafkaBlock(func(k *Config) { k.Brokers, k.Topic.Partitions = tg.brokers, 3 }), "")
			if err != nil {
				t.Fatal(err)
			}
			env, err := Open(ctx, set, "mismatch", "test", t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = DeleteTopic(context.Background(), env.Admin, env.Topic)
				env.Close()
			}()
			for _, tc := range []struct {
				name       string
				topic      scenarios.Topic
				what, have string
				want       string
			}{
				{"partitions", scenarios.Topic{Name: env.Topic, Partitions: 12, ReplicationFactor: 1}, "partitions", "3", "12"},
				{"replication", scenarios.Topic{Name: env.Topic, Partitions: 3, ReplicationFactor: 2}, "replication factor", "1", "2"},
			} {
				sc := testScenario("mismatch", tg.brokers, scOpts{rate: 10, duration: time.Second, subs: 1, members: 1, partitions: 12, acks: AcksAll})
				ConfigOf(sc).Topic = tc.topic
				_, err := (&Runner{}).Run(ctx, &runners.Point{Scenario: sc, Logf: t.Logf})
				if n, _ := brokerCount(ctx, env.Admin); tc.topic.ReplicationFactor > n {
					// A single-broker cluster: the size check comes first.
					var ce *ClusterSizeError
					if !errors.As(err, &ce) || ce.Value != tc.topic.ReplicationFactor || ce.Brokers != n {
						t.Errorf("%s on %d broker(s): err %v, want a *ClusterSizeError", tc.name, n, err)
					}
					continue
				}
				var tm *TopicMismatchError
				if !errors.As(err, &tm) {
					t.Fatalf("%s: err %v, want a *TopicMismatchError", tc.name, err)
				}
				if tm.What != tc.what || tm.Have != tc.have || tm.Want != tc.want {
					t.Errorf("%s: mismatch %+v, want %s %s vs %s", tc.name, tm, tc.what, tc.have, tc.want)
				}
				msg := err.Error()
				if !strings.Contains(msg, env.Topic) || !strings.Contains(msg, tc.have) || !strings.Contains(msg, tc.want) {
					t.Errorf("%s: message %q should name the topic and both values", tc.name, msg)
				}
			}
		})
	}
}

func TestBrokerKind(t *testing.T) {
	noteRealBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, emb, err := BrokerKind(ctx, Embedded)
	if err != nil || !emb || !strings.Contains(k, "embedded") {
		t.Errorf("BrokerKind(embedded) = %q, %v, %v", k, emb, err)
	}
	c, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, emb, err = BrokerKind(ctx, strings.Join(c.ListenAddrs(), ","))
	if err != nil || !emb || !strings.Contains(k, "embedded") {
		t.Errorf("BrokerKind(kfake address) = %q, %v, %v: want it recognised as the embedded broker", k, emb, err)
	}
	if b := brokertest.Real(); b != "" {
		k, emb, err = BrokerKind(ctx, b)
		t.Logf("real broker: %s", k)
		if err != nil || emb || !strings.HasPrefix(k, "Apache Kafka v") {
			t.Errorf("BrokerKind(%s) = %q, %v, %v: want Apache Kafka with its version", b, k, emb, err)
		}
	}
}

// TestStrayRecordsIgnored: records of an earlier run on a named, reused
// topic are neither delivered nor duplicates.
func TestStrayRecordsIgnored(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := strings.Join(c.ListenAddrs(), ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := EnsureTopic(ctx, kadm.NewClient(cl), TopicSpec{Name: "reused", Partitions: 4, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		r := NewRecord(uint64(i), time.Now().UnixNano(), []byte("key-1"), []byte("{}"))
		r.Topic = "reused"
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	sc := testScenario("stray", addr, scOpts{rate: 100, warmup: 200 * time.Millisecond, duration: time.Second, drain: 10 * time.Second,
		subs: 1, members: 1, partitions: 4, acks: AcksAll, commit: CommitAfterProcessing, commitMode: CommitSync})
	ConfigOf(sc).Topic = scenarios.Topic{Name: "reused", Partitions: 4, ReplicationFactor: 1}
	ConfigOf(sc).StartOffset = StartEarliest
	res := runPoint(t, &Runner{}, sc)
	a := res.Subscribers[0].Accounting
	if a.Delivered != a.Sent || a.Duplicates != 0 || a.Lost != 0 {
		t.Errorf("with 50 stray records on the topic: %+v, want exactly this run's events", a)
	}
}
