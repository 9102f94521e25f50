// Package bridge is evbench's webhook-to-Kafka bridge runner (system
// "bridge"): the pattern where producers keep sending webhooks and a small
// service turns them into Kafka records.
//
// Per point: a fasthttp ingress on 127.0.0.1 (Ingress) verifies Standard
// Webhooks signatures (401 on failure, counted as signature failures) and
// produces each event to a topic, answering the webhook either after Kafka
// acknowledged the record (after-produce, "durable", the default) or before
// producing it (before-produce, "fast": what is in flight is lost if the
// bridge dies). The harness side (Sender) sends each scheduled event once
// as a signed POST (bounded in-flight requests, per-request timeout). The
// subscribers are Kafka consumer groups downstream, exactly as in the kafka
// runner (runners/kafka's StartGroups).
//
// Timing: ingress latency = intended time -> the bridge's 2xx; publish
// latency = intended time -> Kafka's ack (taken at the bridge);
// end-to-end = intended time -> processed by each group. Kafka settings come
// from systems.kafka when present, else the Kafka defaults; the bridge uses
// a topic of its own.
//
// Ordering: the sender has up to max_in_flight requests in flight, so two
// events of one key can reach the bridge, and Kafka, in either order: per-key
// out-of-order deliveries are a property of bridging webhooks and are
// reported as measured.
package bridge

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// System is the runner's system name.
const System = "bridge"

// Caps are what bridge points measure: ingress latency (the signed
// webhook to the bridge), publish latency and errors, the broker, consumer
// lag and consumer retries. Per-key order is not promised: the upstream
// sender's concurrent, retried HTTP deliveries reach the ingress out of
// order.
var Caps = results.Capabilities{Publish: true, Ingress: true, ConsumerLag: true, Broker: true, Retries: true}

func init() {
	runners.Register(runners.Descriptor{Name: System, New: func() runners.Runner { return &Runner{} },
		Caps: Caps, CostFamily: results.FamilyPushToLog, Order: 3})
}

// Runner runs the bridge system for one point.
type Runner struct {
	// OnIngress, when set, is called with the running ingress and the
	// consumer groups once the load has started; tests use it to send
	// forged requests and to make members leave. It must not block.
	OnIngress func(*Ingress, *kafka.Groups)
}

// Config is a systems.bridge block resolved.
type Config struct {
	Ack         string
	Timeout     time.Duration
	MaxInFlight int
	Signing     bool
	SecretEnv   string
	// Faults are crashes of the bridge process (bridgeproc.go).
	Faults []scenarios.InfraFault
}

// ResolveConfig converts a systems.bridge block as the scenario loader
// resolved it. Defaults and limits are the loader's: nothing is defaulted
// here, and a value outside the loader's limits (only possible for a block
// built in Go) is an error naming the setting.
func ResolveConfig(b *BlockConfig) (Config, error) {
	if b == nil {
		return Config{}, fmt.Errorf("bridge: no systems.bridge block")
	}
	c := Config{Ack: b.Ack, Timeout: b.Timeout.D(), MaxInFlight: b.MaxInFlight, Signing: b.Signing.On(), SecretEnv: b.Signing.SecretEnv, Faults: b.Faults}
	switch c.Ack {
	case AckAfterProduce, AckBeforeProduce:
	default:
		return c, fmt.Errorf("bridge ack %q: want %s or %s", b.Ack, AckAfterProduce, AckBeforeProduce)
	}
	if c.Timeout <= 0 || b.Timeout > scenarios.MaxTimeout {
		return c, fmt.Errorf("bridge timeout %s: want > 0s and <= %s", c.Timeout, scenarios.MaxTimeout.D())
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > scenarios.MaxInFlight {
		return c, fmt.Errorf("bridge max_in_flight %d: want 1..%d", c.MaxInFlight, scenarios.MaxInFlight)
	}
	return c, nil
}

// Secret returns the signing secret: from the named environment variable
// (whsec_<base64>) or a fresh random one; nil when signing is off. The
// secret is never logged or written to results.
func (c Config) Secret() (*webhook.Secret, error) {
	if !c.Signing {
		return nil, nil
	}
	if c.SecretEnv != "" {
		v, err := secretenv.Get(c.SecretEnv, "signing.secret_env")
		if err != nil {
			return nil, fmt.Errorf("bridge signing: %w", err)
		}
		s, err := webhook.ParseSecret(v)
		if err != nil {
			return nil, fmt.Errorf("bridge signing: %s: %w", c.SecretEnv, err)
		}
		return s, nil
	}
	s, err := webhook.NewSecret()
	if err != nil {
		return nil, fmt.Errorf("bridge signing: %w", err)
	}
	return s, nil
}

// setupTimeout bounds broker start, topic set-up and group joins.
const setupTimeout = 2 * time.Minute

// Run executes one point under runners.RunPoint: Kafka side and consumer
// groups first (joined and assigned before the load starts), then the
// ingress (in process, or a child process with systems.bridge.faults),
// then the open-loop load through the sender; drain until every group has
// every measured event or the drain period ends; stop everything; build
// the results.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	if pt == nil || pt.Scenario == nil {
		return nil, fmt.Errorf("%s runner: no scenario", System)
	}
	sc := pt.Scenario
	bc, err := ResolveConfig(ConfigOf(sc))
	if err != nil {
		return nil, err
	}
	set, err := kafka.Resolve(kafka.ConfigOf(sc), pt.Brokers)
	if err != nil {
		return nil, err
	}
	// The bridge's topic is its own: a named kafka topic belongs to the
	// kafka system's points.
	set.Topic = ""
	p := &point{runner: r, bc: bc, set: set, parallel: ConfigOf(sc).ParallelRun, crashing: len(bc.Faults) > 0}
	if p.crashing {
		if p.parallel {
			return nil, fmt.Errorf("bridge: systems.bridge.parallel_run is not supported with systems.bridge.faults (the crashing bridge runs as a child process, without the legacy webhook path)")
		}
		if !kafka.ProducerNetwork(sc).IsZero() || !ConfigOf(sc).IngressNetwork.IsZero() {
			return nil, fmt.Errorf("bridge: systems.bridge.faults runs the bridge as a child process, which cannot use an emulated producer_network or ingress_network link")
		}
	}
	if p.secret, err = bc.Secret(); err != nil {
		return nil, err
	}
	var names []string
	if p.parallel {
		names = append(kafka.SubscriberNames(sc), legacyNames(sc)...)
	}
	return runners.RunPoint(ctx, pt, runners.Spec{System: System, Caps: Caps, Subscribers: names}, p)
}

// point is the bridge system's part of one point.
type point struct {
	runner   *Runner
	bc       Config
	set      kafka.Settings
	secret   *webhook.Secret
	parallel bool // systems.bridge.parallel_run (parallel.go)
	crashing bool // the ingress is a child process (bridgeproc.go)

	env       *kafka.Env
	bf        *kafka.BrokerFaults
	nw        *kafka.Network
	groups    *kafka.Groups
	gate      func() bool
	in        *Ingress
	proc      *bridgeProc // crashing only
	old       *legacy     // parallel only
	snd       *Sender
	stopWatch func()

	faultErr, unackedErr, procErr error
}

// Start opens the Kafka side and the consumer groups, then the ingress
// and the upstream sender.
func (p *point) Start(ctx context.Context, r *runners.Run) error {
	pt, sc, mp, bc, set := r.Point, r.Point.Scenario, r.Measure, p.bc, p.set
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	r.Defer(cancel)
	env, err := kafka.Open(sctx, set, sc.Name, System, pt.Log)
	if err != nil {
		return err
	}
	p.env = env
	r.Defer(env.Close)
	if p.bf, err = kafka.PrepareBrokerFaults(sctx, env, kafka.FaultsOf(sc)); err != nil {
		return err
	}
	mp.SetBroker(env.Kind, env.Embedded)
	r.Note("%s", env.Note())
	mode := "durable: the bridge answers after Kafka acknowledged the record"
	if bc.Ack == AckBeforeProduce {
		mode = "fast: the bridge answers before producing; records in flight are lost if the bridge dies"
	}
	signing := "Standard Webhooks signatures verified"
	if p.secret == nil {
		signing = "signing disabled"
	}
	r.Note("bridge: ack %s (%s); %s; sender max_in_flight %d, timeout %s", bc.Ack, mode, signing, bc.MaxInFlight, bc.Timeout)
	r.CeilingNote(System, int(set.Partitions), "one record per partition per group; members share the partitions")
	behs := r.Behaviours()
	if p.nw, err = kafka.OpenNetwork(sc, env, pt.Log); err != nil {
		return err
	}
	r.Defer(func() { p.nw.Links.Close() })
	r.AtBegin(p.nw.Links.SetStart)
	// Late groups (join_at) sample their lag against the records the
	// ingress published; the ingress starts after the groups.
	var ingress atomic.Pointer[Ingress]
	published := func() int64 {
		if in := ingress.Load(); in != nil {
			return in.Published()
		}
		return 0
	}
	if _, ok := set.TopicConfigs["retention.ms"]; ok {
		r.Note("bridge: retention.ms is passed to the topic but not enforced by evbench under the bridge (only the kafka system enforces it and attributes retention loss); the embedded broker never deletes by time")
	}
	p.groups, err = kafka.StartGroups(sctx, kafka.GroupsConfig{
		Settings: set, Topic: env.Topic, Conn: env.Conn, GroupConn: p.nw.Groups, Admin: env.Admin,
		GroupPrefix: env.Topic, Point: mp, Subscribers: sc.Subscribers, Behaviours: behs, Logf: pt.Log,
		TrimConsumed: env.Embedded, Published: published, TimeScale: sc.TimeScale,
	})
	if err != nil {
		return err
	}
	r.Defer(p.groups.Close)
	if env.Embedded {
		// The embedded broker's records live in evbench's memory: hold
		// requests while the slowest group's lag exceeds the budget
		// (records of the event size, as the kafka runner's producers do).
		recBytes := int64(sc.Event.Size.MeanValue()) + 64
		p.gate = func() bool { return p.groups.MaxLag()*recBytes > kafka.EmbeddedUnconsumedBudget }
		r.Note("%s", kafka.EmbeddedMemoryNote)
	}
	if p.crashing {
		if err := p.startCrashing(ctx, r); err != nil { // bridgeproc.go
			return err
		}
		r.AtBegin(func(int64) { p.begin(r) })
		return nil
	}
	var forward func(load.Event)
	if p.parallel {
		if p.old, err = startLegacy(sc, pt, mp.Subs[len(sc.Subscribers):], mp.AddBytes); err != nil {
			return err
		}
		r.Defer(func() { _ = p.old.close() })
		forward = p.old.disp.Dispatch
		for _, f := range p.old.setStart {
			r.AtBegin(f)
		}
		r.Note("bridge: parallel run: every event the ingress verifies is also delivered by a webhook sender to the legacy endpoints (subscribers named <name>%s, in-process sinks); results.parallel_run compares each subscriber's two delivery sets", scenarios.LegacySuffix)
	}
	p.in, err = StartIngress(IngressConfig{
		Secret: p.secret, Ack: bc.Ack, Settings: set, Topic: env.Topic, Conn: p.nw.Producer,
		Keys: sc.Event.Keys, Obs: mp, ProduceTimeout: bc.Timeout, Gate: p.gate, Forward: forward,
	})
	if err != nil {
		return err
	}
	r.Defer(func() { p.in.Close() })
	ingress.Store(p.in)
	pt.Log("bridge: ingress on %s (ack %s)", p.in.URL(), bc.Ack)
	p.snd = NewSender(p.in.URL(), p.in.Addr(), p.secret, bc.MaxInFlight, bc.Timeout, mp)
	r.Defer(func() { p.snd.Close() })
	if err := linkSender(p.nw.Links, ConfigOf(sc).IngressNetwork, p.snd); err != nil {
		return err
	}
	p.snd.StopOn(ctx.Done())
	mp.SetGauges(measure.Gauges{
		InFlight:   func() int64 { return p.snd.InFlight() + p.in.InFlight() },
		QueueDepth: p.snd.QueueDepth,
		Lag:        p.groups.Lag,
	})
	r.AtBegin(func(int64) { p.begin(r) })
	return nil
}

// begin runs once the measured period is fixed, after every other hook:
// the cluster watcher, the broker-fault schedule and the OnIngress hook.
func (p *point) begin(r *runners.Run) {
	p.stopWatch = kafka.WatchCluster(p.env, r.Measure, kafka.FaultsOf(r.Point.Scenario))
	r.Defer(p.stopWatch)
	p.bf.Start(r.Measure)
	r.Defer(func() { _ = p.bf.Stop() }) // the error is read in Stop; this only guards early returns
	if p.runner.OnIngress != nil && p.in != nil {
		p.runner.OnIngress(p.in, p.groups)
	}
}

// Send sends the event to the ingress as a signed webhook.
func (p *point) Send(ev load.Event) { p.snd.Send(ev) }

// Stop stops the sender, then the ingress (in process or the child), then
// the broker faults (after the ingress closed: see the kafka runner) and
// the groups.
func (p *point) Stop(r *runners.Run) {
	if p.crashing {
		p.stopCrashing(r) // bridgeproc.go
		return
	}
	mp := r.Measure
	unsent := p.snd.Close()
	p.in.Close()
	p.in.AddUnsent(unsent)
	p.faultErr = p.bf.Stop()
	p.stopWatch()
	p.unackedErr = kafka.ExcuseUnacked(p.in.UnackedError(), p.bf, mp)
	if n := p.in.Rejected(); n > 0 {
		mp.Note("bridge: %d requests rejected with 401 (signature failures)", n)
	}
	p.groups.Close()
	if err := p.old.close(); err != nil {
		mp.Note("bridge: parallel run: closing the legacy webhook side: %v", err)
	}
}

// Finish adds the links, the groups' catch-ups, the bridge process and the
// parallel-run comparison, and settles the status from unacknowledged
// records and broker faults.
func (p *point) Finish(r *runners.Run, res *results.Point, err error) (*results.Point, error) {
	if res != nil {
		res.Network = p.nw.Links.Record()
	}
	p.groups.AttachCatchUps(res)
	if p.crashing {
		err = p.finishCrashing(res, err) // bridgeproc.go
	}
	if p.parallel && err == nil {
		err = results.CompareParallel(res, scenarios.LegacySuffix)
	}
	res, err = kafka.FinishStatus(res, err, r.Interrupted, p.unackedErr)
	return kafka.FaultStatus(res, err, p.faultErr)
}
