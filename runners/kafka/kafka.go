// Package kafka is evbench's Kafka runner (system "kafka"), built on
// franz-go: the open-loop schedule is produced once to a topic by
// `producers` clients, and every subscriber is its own consumer group of
// `members` clients that processes each record with the subscriber's
// simulated behaviour. Brokers are either an in-process kfake cluster
// ("embedded", the default: in memory, not disk-backed, labelled as such in
// results) or a real cluster reached by host:port with optional TLS and
// SASL.
//
// The pieces are exported for the bridge runner (runners/bridge), which
// reuses the topic set-up, broker handling and consumer groups: Resolve,
// Open (Env), NewProducer, StartGroups, NewRecord/ParseRecord.
//
// Timing (as README.md states it): publish latency = intended time -> produce ack;
// end-to-end latency = intended time -> a group member finished processing
// the record. See consumer.go for how members process partitions, apply
// faults and commit.
package kafka

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// System is the runner's system name.
const System = "kafka"

// Caps are what kafka points measure: publish latency and errors, the
// broker, consumer lag, consumer retries, and each key's order (one
// partition per key).
var Caps = results.Capabilities{Publish: true, ConsumerLag: true, Broker: true, Retries: true, PerKeyOrder: true}

func init() {
	runners.Register(runners.Descriptor{Name: System, New: func() runners.Runner { return &Runner{} },
		Caps: Caps, CostFamily: results.FamilyLog, Order: 2})
}

// setupTimeout bounds broker start, topic set-up and group joins.
const setupTimeout = 2 * time.Minute

// defaultInterruptDrain bounds the drain after an interruption when the
// point does not say.
const defaultInterruptDrain = 5 * time.Second

// Env is the Kafka side of one point: the broker (embedded or real), an
// admin client, what the broker is, and the point's topic.
type Env struct {
	Settings Settings
	// Topic is the point's topic.
	Topic string
	// Kind describes the broker (see BrokerKind); Embedded is true for the
	// in-memory kfake broker.
	Kind     string
	Embedded bool
	// Brokers are the addresses clients connect to.
	Brokers []string
	// Conn are the connection options every client uses.
	Conn []kgo.Opt
	// Admin is an admin client on the cluster.
	Admin *kadm.Client
	// TopicCreated is true when Open created the topic.
	TopicCreated bool

	adminCl   *kgo.Client
	cluster   *kfake.Cluster
	autoTopic bool
	logf      func(string, ...any)
}

// Open starts the embedded broker or connects to the real one, records the
// broker kind and sets up the topic: a fresh auto-named topic per point
// (evbench-<scenario>-<system>-<nonce>) unless the settings name one.
func Open(ctx context.Context, s Settings, scenario, system string, logf func(string, ...any)) (*Env, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	e := &Env{Settings: s, Topic: s.Topic, logf: logf}
	if e.Topic == "" {
		e.Topic = AutoTopicName(scenario, system)
		e.autoTopic = true
	}
	if s.Embedded {
		c, err := StartEmbedded(kfake.NumBrokers(s.EmbeddedNodes()))
		if err != nil {
			return nil, err
		}
		e.cluster = c
		e.Brokers = c.ListenAddrs()
		logf("kafka: embedded broker (kfake, in memory, %d node(s)) on %v", len(e.Brokers), e.Brokers)
	} else {
		e.Brokers = s.Brokers
	}
	conn, err := s.ConnOpts(e.Brokers)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Conn = conn
	e.adminCl, err = kgo.NewClient(append(append([]kgo.Opt{}, conn...), kgo.ClientID("evbench-admin"),
		// Topic set-up polls metadata; kgo would otherwise serve the cached
		// "unknown topic" answer for up to 5 s after creating it.
		kgo.MetadataMinAge(50*time.Millisecond))...)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	e.Admin = kadm.NewClient(e.adminCl)
	if s.Embedded {
		e.Kind, e.Embedded = EmbeddedKind, true
	} else {
		e.Kind, e.Embedded, err = brokerKind(ctx, e.Admin)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("kafka brokers %v: %w", e.Brokers, err)
		}
		logf("kafka: %s", e.Kind)
	}
	n, err := brokerCount(ctx, e.Admin)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("kafka brokers %v: %w", e.Brokers, err)
	}
	if err := s.CheckClusterSize(n, e.Kind); err != nil {
		e.Close()
		return nil, err
	}
	created, err := EnsureTopic(ctx, e.Admin, s.topicSpec(e.Topic, e.Embedded))
	if err != nil {
		e.Close()
		return nil, err
	}
	e.TopicCreated = created
	if created {
		logf("kafka: created topic %s (%d partitions, replication factor %d)", e.Topic, s.Partitions, s.ReplicationFactor)
	} else {
		logf("kafka: using existing topic %s (%d partitions, replication factor %d)", e.Topic, s.Partitions, s.ReplicationFactor)
	}
	return e, nil
}

// topicSpec is the topic set-up the settings ask for: the scenario's
// topic configs plus the durability keys (min.insync.replicas when set;
// unclean.leader.election.enable on real clusters: an embedded (kfake)
// broker, also one reached by address, has no replicas to elect and does
// not know the config).
func (s Settings) topicSpec(name string, embedded bool) TopicSpec {
	cfgs := make(map[string]string, len(s.TopicConfigs)+2)
	for k, v := range s.TopicConfigs {
		cfgs[k] = v
	}
	if s.MinInsyncReplicas > 0 {
		cfgs["min.insync.replicas"] = strconv.Itoa(s.MinInsyncReplicas)
	}
	if !embedded {
		cfgs["unclean.leader.election.enable"] = strconv.FormatBool(s.UncleanLeaderElection)
	}
	return TopicSpec{Name: name, Partitions: s.Partitions, ReplicationFactor: s.ReplicationFactor, Configs: cfgs}
}

// ClusterSizeError says that a durability setting asks for more replicas
// than the cluster has brokers. It is bad input (exit 2): the scenario
// does not fit the cluster it ran against.
type ClusterSizeError struct {
	Setting string
	Value   int
	Brokers int
	Cluster string
}

// Error names the setting, its value and the broker count.
func (e *ClusterSizeError) Error() string {
	plural := "s"
	if e.Brokers == 1 {
		plural = ""
	}
	return fmt.Sprintf("systems.kafka.%s %d needs at least %d brokers, but the cluster (%s) has %d broker%s: lower it or run against a larger cluster (--brokers)",
		e.Setting, e.Value, e.Value, e.Cluster, e.Brokers, plural)
}

// BadInput marks the error as a problem of the scenario, not of the run.
func (e *ClusterSizeError) BadInput() bool { return true }

// CheckClusterSize checks the durability settings against the number of
// brokers: the replication factor, and min.insync.replicas (from
// topic.min_insync_replicas or topic.configs) may not exceed it.
func (s Settings) CheckClusterSize(brokers int, cluster string) error {
	if int(s.ReplicationFactor) > brokers {
		return &ClusterSizeError{Setting: "topic.replication_factor", Value: int(s.ReplicationFactor), Brokers: brokers, Cluster: cluster}
	}
	m, key := s.MinInsyncReplicas, "topic.min_insync_replicas"
	if v, ok := s.TopicConfigs["min.insync.replicas"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			m, key = n, "topic.configs.min.insync.replicas"
		}
	}
	if m > brokers {
		return &ClusterSizeError{Setting: key, Value: m, Brokers: brokers, Cluster: cluster}
	}
	return nil
}

// Note describes the set-up for the results' notes.
func (e *Env) Note() string {
	how := "existing"
	if e.TopicCreated {
		how = "fresh"
	}
	isr := "the cluster's default"
	if e.Settings.MinInsyncReplicas > 0 {
		isr = strconv.Itoa(e.Settings.MinInsyncReplicas)
	}
	if v, ok := e.Settings.TopicConfigs["min.insync.replicas"]; ok {
		isr = v
	}
	return fmt.Sprintf("kafka: %s topic %s, %d partitions, replication factor %d, min.insync.replicas %s, unclean leader election %v; acks %s, idempotent %v, linger %s, compression %s, %d producer(s); commit %s (%s), start offset %s",
		how, e.Topic, e.Settings.Partitions, e.Settings.ReplicationFactor, isr, e.Settings.UncleanLeaderElection, e.Settings.Acks, e.Settings.Idempotent,
		e.Settings.Linger, e.Settings.Compression, e.Settings.Producers, e.Settings.Commit, e.Settings.CommitMode, e.Settings.StartOffset) + e.nodesNote()
}

// nodesNote is EmbeddedNodesNote for a multi-node embedded cluster.
func (e *Env) nodesNote() string {
	if e.cluster == nil || len(e.Brokers) < 2 {
		return ""
	}
	return "; " + strings.TrimPrefix(EmbeddedNodesNote(len(e.Brokers)), "kafka: ")
}

// Close deletes the topic when asked (delete_after) or when it was
// auto-named on the embedded broker, then closes the clients and the
// embedded broker.
func (e *Env) Close() {
	if e.Admin != nil && (e.Settings.DeleteAfter || (e.autoTopic && e.Embedded)) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := DeleteTopic(ctx, e.Admin, e.Topic); err != nil {
			e.logf("kafka: %v", err)
		}
		cancel()
	}
	if e.adminCl != nil {
		e.adminCl.Close()
		e.adminCl = nil
	}
	if e.cluster != nil {
		e.cluster.Close()
		e.cluster = nil
	}
}

// Behaviours builds the subscribers' behaviours, seeded by the scenario.
func Behaviours(sc *scenarios.Scenario) []*behave.Subscriber {
	out := make([]*behave.Subscriber, len(sc.Subscribers))
	for i, s := range sc.Subscribers {
		out[i] = behave.New(s, sc.Event.Seed)
	}
	return out
}

// SubscriberNames lists the scenario's subscriber names.
func SubscriberNames(sc *scenarios.Scenario) []string {
	out := make([]string, len(sc.Subscribers))
	for i, s := range sc.Subscribers {
		out[i] = s.Name
	}
	return out
}

// Drain runs the point's drain after the load: it ends early once every
// subscriber has every measured event, and after an interruption it is
// bounded by the point's InterruptDrain (default 5s), whether Ctrl-C came
// during the load or during the drain itself (README: "Ctrl-C stops the
// load, drains for at most 5 s"). It reports whether the point was
// interrupted.
func Drain(ctx context.Context, pt *runners.Point, mp *measure.Point) (interrupted bool) {
	limit := pt.InterruptDrain.D()
	if limit <= 0 {
		limit = defaultInterruptDrain
	}
	drain := pt.Scenario.Load.Drain.D()
	if ctx.Err() != nil {
		mp.Drain(min(drain, limit), nil)
		return true
	}
	mp.Drain(drain, ctx.Done())
	if ctx.Err() == nil {
		return false
	}
	mp.Drain(limit, nil)
	return true
}

// EmbeddedMemoryNote tells results readers how the embedded broker's
// memory is bounded.
var EmbeddedMemoryNote = fmt.Sprintf("kafka: embedded broker: records every group committed are deleted during the run, and producers wait while the slowest group's lag exceeds %d MiB (its records live in evbench's memory); overload shows as generator lag", EmbeddedUnconsumedBudget>>20)

// Runner runs the kafka system for one point.
type Runner struct {
	// OnGroups, when set, is called with the consumer groups once the load
	// has started (the measured clock is running); tests and chaos
	// experiments use it to make members leave mid-run. It must not block.
	OnGroups func(*Groups)
}

// Run executes one point: set up the topic and the groups (all members
// joined and assigned before the load starts), run the open-loop load
// through the producers, drain until every group has every measured event
// or the drain period ends, stop everything and build the results.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	sc := pt.Scenario
	set, err := Resolve(ConfigOf(sc), pt.Brokers)
	if err != nil {
		return nil, err
	}
	external := ExternalConsumers() // consume.go
	if err := CheckExternal(set); external && err != nil {
		return nil, err
	}
	gen, err := load.New(sc)
	if err != nil {
		return nil, fmt.Errorf("kafka: load: %w", err)
	}
	mp := measure.NewPoint(System, gen, SubscriberNames(sc), sc.Event.Keys)

	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	env, err := Open(sctx, set, sc.Name, System, pt.Log)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	bf, err := PrepareBrokerFaults(sctx, env, FaultsOf(sc))
	if err != nil {
		return nil, err
	}
	mp.SetBroker(env.Kind, env.Embedded)
	mp.Note("%s", env.Note())
	if set.Acks == Acks0 {
		mp.Note("kafka: acks 0: publish latency is intended time -> produce request written; the broker confirms nothing, so lost records show only as loss at the subscribers")
	}

	if n := behave.CeilingNote(System, int(set.Partitions), "one record per partition per group; members share the partitions", sc.Subscribers); n != "" {
		mp.Note("%s", n)
	}
	if external {
		return r.produceOnly(ctx, pt, env, set, mp) // consume.go
	}
	behs := Behaviours(sc)
	nw, err := OpenNetwork(sc, env, pt.Log)
	if err != nil {
		return nil, err
	}
	defer nw.Links.Close()
	retention, hasRetention, err := RetentionOf(set)
	if err != nil {
		return nil, err
	}
	prod, err := NewProducer(set, env.Topic, nw.Producer, sc.Event.Keys, mp)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	prod.StopOn(ctx.Done())
	groups, err := r.startGroups(sctx, env.Brokers, sc.Event.Seed, GroupsConfig{ // isolate.go
		Settings: set, Topic: env.Topic, Conn: env.Conn, GroupConn: nw.Groups, Admin: env.Admin,
		GroupPrefix: env.Topic, Point: mp, Subscribers: sc.Subscribers, Behaviours: behs, Logf: pt.Log,
		TrimConsumed: env.Embedded, Published: prod.Acked, TimeScale: sc.TimeScale,
	})
	if err != nil {
		return nil, err
	}
	defer groups.Close()
	var rt *Retention
	if hasRetention {
		rt = NewRetention(env.Admin, env.Topic, retention, mp.Subs, behs[0].Start)
		prod.TrackAcks(rt.Acked)
		rt.Start()
	}
	if env.Embedded {
		prod.GateOnLag(groups.MaxLag, EmbeddedUnconsumedBudget)
		mp.Note("%s", EmbeddedMemoryNote)
	}

	mp.SetGauges(measure.Gauges{InFlight: prod.InFlight, QueueDepth: prod.QueueDepth, Lag: groups.Lag})
	setStart := []func(int64){nw.Links.SetStart, groups.SetStart}
	for _, b := range behs {
		setStart = append(setStart, b.SetStart)
	}
	start := pt.Begin(mp, setStart...)
	stopWatch := WatchCluster(env, mp, FaultsOf(sc))
	defer stopWatch()
	bf.Start(mp)
	defer bf.Stop() //nolint:errcheck // the error is read below; this only guards early returns
	if r.OnGroups != nil {
		r.OnGroups(groups)
	}
	gen.Run(ctx, start, prod.Send)
	interrupted := Drain(ctx, pt, mp)
	// The producers close before a fault still in progress ends: a broker
	// down until the end of the drain has not acknowledged what it lost
	// while the producers could still retry.
	prod.Close()
	faultErr := bf.Stop()
	stopWatch()
	unackedErr := ExcuseUnacked(prod.UnackedError(System), bf, mp)
	groups.Close()
	if rt != nil {
		rt.Stop()
		mp.Note("%s", rt.Note())
	}
	res, err := mp.Finish(Caps, pt.Params)
	if res != nil {
		res.Network = nw.Links.Record()
	}
	groups.AttachCatchUps(res)
	RecordClock(ctx, env, res, pt.Log) // clock.go
	res, err = FinishStatus(res, err, interrupted, unackedErr)
	return FaultStatus(res, err, faultErr)
}

// FinishStatus settles a kafka or bridge point's status: interrupted when
// the run was, else failed with unacked (an *UnackedError: records never
// acknowledged by the end of the drain, already counted as publish errors)
// as the point's error and the run's, so a dead broker is never reported
// as a complete run. After an interruption unacknowledged records are
// expected (the drain was cut short): they stay counted, the status stays
// interrupted.
func FinishStatus(res *results.Point, err error, interrupted bool, unacked error) (*results.Point, error) {
	if res == nil || err != nil {
		return res, err
	}
	switch {
	case interrupted:
		if res.Status == results.StatusComplete {
			res.Status = results.StatusInterrupted
		}
		if unacked != nil {
			res.Notes = append(res.Notes, unacked.Error())
		}
	case unacked != nil:
		res.Status = results.StatusFailed
		res.Error = unacked.Error()
		return res, unacked
	}
	return res, nil
}
