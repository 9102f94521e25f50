package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestDurabilityKeysReachTheTopic: topic.min_insync_replicas and
// topic.unclean_leader_election (issue 10 item 3) load, resolve and become
// the created topic's configs (unclean.leader.election.enable only on real
// clusters: the embedded broker has no replicas to elect).
func TestDurabilityKeysReachTheTopic(t *testing.T) {
	sc, err := scenarios.LoadBytes("durable.yaml", []byte(`name: durable
load: {rate: 100/s, duration: 1s}
subscribers: [{name: a}]
systems:
  kafka:
    brokers: 127.0.0.1:1
    acks: all
    idempotent: true
    topic: {replication_factor: 3, min_insync_replicas: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Resolve(ConfigOf(sc), "")
	if err != nil {
		t.Fatal(err)
	}
	spec := s.topicSpec("t", false)
	if spec.ReplicationFactor != 3 || spec.Configs["min.insync.replicas"] != "2" || spec.Configs["unclean.leader.election.enable"] != "false" ||
		s.Acks != AcksAll || !s.Idempotent {
		t.Errorf("spec %+v, acks %s idempotent %v", spec, s.Acks, s.Idempotent)
	}
	if _, ok := s.topicSpec("t", true).Configs["unclean.leader.election.enable"]; ok {
		t.Error("unclean.leader.election.enable sent to the embedded broker")
	}
	for _, tc := range []struct{ yaml, want string }{
		{"topic: {replication_factor: 2, min_insync_replicas: 3}", "min_insync_replicas"},
		{"topic: {replication_factor: 2, min_insync_replicas: 2, configs: {min.insync.replicas: 2}}", "min.insync.replicas"},
		{"topic: {configs: {unclean.leader.election.enable: true}}", "unclean"},
	} {
		_, err := scenarios.LoadBytes("bad.yaml", []byte("name: bad\nload: {rate: 100/s, duration: 1s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {"+tc.yaml+"}\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one naming %s", tc.yaml, err, tc.want)
		}
	}
}

// TestClusterSizeIsCheckedAtRunTime: a replication factor or
// min.insync.replicas above the cluster's broker count is a bad-input
// error naming the setting, the value and the broker count, found when the
// point connects (the broker count is known only then).
func TestClusterSizeIsCheckedAtRunTime(t *testing.T) {
	// A one-broker cluster reached by address (the embedded broker itself
	// starts as many nodes as the settings need: TestEmbeddedDurabilityFaults).
	c, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := testScenario("rf-too-big", strings.Join(c.ListenAddrs(), ","), scOpts{rate: 10, duration: time.Second, subs: 1, members: 1, partitions: 2, acks: AcksAll})
	ConfigOf(sc).Topic.ReplicationFactor = 3
	_, err = (&Runner{}).Run(context.Background(), &runners.Point{Scenario: sc, Logf: t.Logf})
	var ce *ClusterSizeError
	if !errors.As(err, &ce) || !ce.BadInput() {
		t.Fatalf("err %v: want a bad-input *ClusterSizeError", err)
	}
	for _, want := range []string{"topic.replication_factor", "3", "has 1 broker"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	s := Settings{ReplicationFactor: 3, TopicConfigs: map[string]string{"min.insync.replicas": "4"}}
	if err := s.CheckClusterSize(3, "c"); err == nil || !strings.Contains(err.Error(), "min.insync.replicas 4") || !strings.Contains(err.Error(), "has 3 brokers") {
		t.Errorf("min.insync.replicas 4 on 3 brokers: %v", err)
	}
	if err := (Settings{ReplicationFactor: 3, MinInsyncReplicas: 2}).CheckClusterSize(3, "c"); err != nil {
		t.Errorf("replication factor 3, min.insync.replicas 2 on 3 brokers: %v", err)
	}
}

// TestDurableTopicOnThreeBrokers runs replication factor 3,
// min.insync.replicas 2, acks all and idempotence on a 3-broker embedded
// cluster: the topic gets the settings and nothing is lost.
func TestDurableTopicOnThreeBrokers(t *testing.T) {
	c, err := StartEmbedded(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := testScenario("durable3", Embedded, scOpts{rate: 200, warmup: 200 * time.Millisecond, duration: time.Second, drain: 15 * time.Second,
		subs: 1, members: 1, partitions: 3, acks: AcksAll, processing: time.Millisecond})
	k := ConfigOf(sc)
	k.Brokers = strings.Join(c.ListenAddrs(), ",")
	k.Topic.ReplicationFactor, k.Topic.MinInsyncReplicas = 3, 2
	yes := true
	k.Idempotent = &yes
	res := runPoint(t, &Runner{}, sc)
	if a := res.Subscribers[0].Accounting; a.Lost != 0 || a.Sent == 0 {
		t.Errorf("%+v", a)
	}
	note := strings.Join(res.Notes, "\n")
	if !strings.Contains(note, "replication factor 3, min.insync.replicas 2") {
		t.Errorf("notes do not record the durability settings: %s", note)
	}
}

// TestEmbeddedDurabilityFaults: durability.yaml's Kafka settings
// (replication factor 3, min.insync.replicas 2, acks all, a broker-kill of
// the leader) run on the embedded broker, which starts three in-process
// nodes for them, instead of being refused. The kill is emulated on the
// leader's node only, its partitions move to the other nodes, nothing is
// lost, and the window and notes say it was emulated. Failed before: the
// one-node embedded broker refused replication factor 3.
func TestEmbeddedDurabilityFaults(t *testing.T) {
	sc := testScenario("durable-emb", Embedded, scOpts{rate: 200, duration: 3 * time.Second, drain: 10 * time.Second,
		subs: 1, members: 1, partitions: 6, acks: AcksAll})
	k := ConfigOf(sc)
	k.Topic.ReplicationFactor, k.Topic.MinInsyncReplicas = 3, 2
	k.Faults = []scenarios.BrokerFault{{Kind: scenarios.FaultBrokerKill, At: scenarios.Duration(time.Second), For: scenarios.Duration(time.Second), Target: "leader"}}
	p, err := runFaultPoint(t, sc)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != results.StatusComplete || len(p.FaultWindows) != 1 {
		t.Fatalf("status %s (%s), windows %+v", p.Status, p.Error, p.FaultWindows)
	}
	w := p.FaultWindows[0]
	t.Logf("window %+v", w)
	if !w.Applied || !w.Emulated || w.Node < 1 || w.Node > 3 || !strings.Contains(w.Method, "of 3 in-process nodes") || strings.Contains(w.Method, " 0 partition leader(s) moved") {
		t.Errorf("window %+v: want an emulated kill of one of 3 nodes whose leaders moved", w)
	}
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, "3 in-process kfake nodes") || !strings.Contains(notes, "replication factor 3, min.insync.replicas 2") {
		t.Errorf("notes do not say what the 3-node embedded cluster is: %s", notes)
	}
	a := p.Subscribers[0].Accounting
	if a.Lost != 0 || a.Delivered != a.Sent || a.Sent != 600 {
		t.Errorf("accounting %+v: the in-memory nodes lose nothing", a)
	}
	if p.Availability == nil {
		t.Error("no availability figures")
	}
}
