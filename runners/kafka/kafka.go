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

// Run executes one point under runners.RunPoint: set up the topic and
// the groups (all members joined and assigned before the load starts),
// run the open-loop load through the producers, drain until every group
// has every measured event or the drain period ends, stop everything and
// build the results.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	if pt == nil || pt.Scenario == nil {
		return nil, fmt.Errorf("%s runner: no scenario", System)
	}
	set, err := Resolve(ConfigOf(pt.Scenario), pt.Brokers)
	if err != nil {
		return nil, err
	}
	external := ExternalConsumers() // consume.go
	if err := CheckExternal(set); external && err != nil {
		return nil, err
	}
	return runners.RunPoint(ctx, pt, runners.Spec{System: System, Caps: Caps},
		&point{runner: r, set: set, external: external})
}

// point is the kafka system's part of one point.
type point struct {
	runner   *Runner
	set      Settings
	external bool            // producers only: --external-consumers (consume.go)
	ctx      context.Context // the point's, for the clock probe at the end (clock.go)

	env       *Env
	bf        *BrokerFaults
	nw        *Network
	prod      *Producer
	groups    *Groups
	rt        *Retention
	stopWatch func()

	faultErr, unackedErr error
}

// Start opens the broker and the topic, the producers and the consumer
// groups, and prepares the broker faults.
func (p *point) Start(ctx context.Context, r *runners.Run) error {
	pt, sc, mp, set := r.Point, r.Point.Scenario, r.Measure, p.set
	p.ctx = ctx
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	r.Defer(cancel)
	env, err := Open(sctx, set, sc.Name, System, pt.Log)
	if err != nil {
		return err
	}
	p.env = env
	r.Defer(env.Close)
	if p.bf, err = PrepareBrokerFaults(sctx, env, FaultsOf(sc)); err != nil {
		return err
	}
	mp.SetBroker(env.Kind, env.Embedded)
	r.Note("%s", env.Note())
	if set.Acks == Acks0 {
		r.Note("kafka: acks 0: publish latency is intended time -> produce request written; the broker confirms nothing, so lost records show only as loss at the subscribers")
	}
	r.CeilingNote(System, int(set.Partitions), "one record per partition per group; members share the partitions")
	if p.external {
		return p.startProduceOnly(ctx, r) // consume.go
	}
	behs := r.Behaviours()
	if p.nw, err = OpenNetwork(sc, env, pt.Log); err != nil {
		return err
	}
	r.Defer(func() { p.nw.Links.Close() })
	r.AtBegin(p.nw.Links.SetStart)
	retention, hasRetention, err := RetentionOf(set)
	if err != nil {
		return err
	}
	if p.prod, err = NewProducer(set, env.Topic, p.nw.Producer, sc.Event.Keys, mp); err != nil {
		return err
	}
	r.Defer(func() { p.prod.Close() })
	p.prod.StopOn(ctx.Done())
	p.groups, err = p.runner.startGroups(sctx, env.Brokers, sc.Event.Seed, GroupsConfig{ // isolate.go
		Settings: set, Topic: env.Topic, Conn: env.Conn, GroupConn: p.nw.Groups, Admin: env.Admin,
		GroupPrefix: env.Topic, Point: mp, Subscribers: sc.Subscribers, Behaviours: behs, Logf: pt.Log,
		TrimConsumed: env.Embedded, Published: p.prod.Acked, TimeScale: sc.TimeScale,
	})
	if err != nil {
		return err
	}
	r.Defer(p.groups.Close)
	r.AtBegin(p.groups.SetStart)
	if hasRetention {
		p.rt = NewRetention(env.Admin, env.Topic, retention, mp.Subs, behs[0].Start)
		p.prod.TrackAcks(p.rt.Acked)
		p.rt.Start()
	}
	if env.Embedded {
		p.prod.GateOnLag(p.groups.MaxLag, EmbeddedUnconsumedBudget)
		r.Note("%s", EmbeddedMemoryNote)
	}
	mp.SetGauges(measure.Gauges{InFlight: p.prod.InFlight, QueueDepth: p.prod.QueueDepth, Lag: p.groups.Lag})
	r.AtBegin(func(int64) {
		p.stopWatch = WatchCluster(env, mp, FaultsOf(sc))
		r.Defer(p.stopWatch)
		p.bf.Start(mp)
		r.Defer(func() { _ = p.bf.Stop() }) // the error is read in Stop; this only guards early returns
		if p.runner.OnGroups != nil {
			p.runner.OnGroups(p.groups)
		}
	})
	return nil
}

// Send produces the event.
func (p *point) Send(ev load.Event) { p.prod.Send(ev) }

// Stop closes the producers before a fault still in progress ends (a
// broker down until the end of the drain has not acknowledged what it lost
// while the producers could still retry), then the fault schedule and the
// groups.
func (p *point) Stop(r *runners.Run) {
	p.prod.Close()
	if p.external {
		p.unackedErr = p.prod.UnackedError(System)
		return
	}
	p.faultErr = p.bf.Stop()
	p.stopWatch()
	p.unackedErr = ExcuseUnacked(p.prod.UnackedError(System), p.bf, r.Measure)
	p.groups.Close()
	if p.rt != nil {
		p.rt.Stop()
		r.Note("%s", p.rt.Note())
	}
}

// Finish adds the links and the groups' catch-ups, and settles the status
// from unacknowledged records and broker faults.
func (p *point) Finish(r *runners.Run, res *results.Point, err error) (*results.Point, error) {
	if res != nil {
		res.Network = p.nw.Links.Record()
	}
	if p.external {
		return p.finishProduceOnly(r, res, err) // consume.go
	}
	p.groups.AttachCatchUps(res)
	RecordClock(p.ctx, p.env, res, r.Point.Log) // clock.go
	res, err = FinishStatus(res, err, r.Interrupted, p.unackedErr)
	return FaultStatus(res, err, p.faultErr)
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
