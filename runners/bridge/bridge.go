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
	"github.com/evbench/evbench/runners/behave"
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

// Run executes one point: Kafka side and consumer groups first (joined and
// assigned before the load starts), then the ingress, then the open-loop
// load through the sender; drain until every group has every measured
// event or the drain period ends; stop everything; build the results.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
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
	secret, err := bc.Secret()
	if err != nil {
		return nil, err
	}
	gen, err := load.New(sc)
	if err != nil {
		return nil, fmt.Errorf("bridge: load: %w", err)
	}
	names := kafka.SubscriberNames(sc)
	parallel := ConfigOf(sc).ParallelRun
	if parallel {
		names = append(names, legacyNames(sc)...)
	}
	mp := measure.NewPoint(System, gen, names, sc.Event.Keys)

	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	env, err := kafka.Open(sctx, set, sc.Name, System, pt.Log)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	bf, err := kafka.PrepareBrokerFaults(sctx, env, kafka.FaultsOf(sc))
	if err != nil {
		return nil, err
	}
	mp.SetBroker(env.Kind, env.Embedded)
	mp.Note("%s", env.Note())
	mode := "durable: the bridge answers after Kafka acknowledged the record"
	if bc.Ack == AckBeforeProduce {
		mode = "fast: the bridge answers before producing; records in flight are lost if the bridge dies"
	}
	signing := "Standard Webhooks signatures verified"
	if secret == nil {
		signing = "signing disabled"
	}
	mp.Note("bridge: ack %s (%s); %s; sender max_in_flight %d, timeout %s", bc.Ack, mode, signing, bc.MaxInFlight, bc.Timeout)

	if n := behave.CeilingNote(System, int(set.Partitions), "one record per partition per group; members share the partitions", sc.Subscribers); n != "" {
		mp.Note("%s", n)
	}
	behs := kafka.Behaviours(sc)
	nw, err := kafka.OpenNetwork(sc, env, pt.Log)
	if err != nil {
		return nil, err
	}
	defer nw.Links.Close()
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
		mp.Note("bridge: retention.ms is passed to the topic but not enforced by evbench under the bridge (only the kafka system enforces it and attributes retention loss); the embedded broker never deletes by time")
	}
	groups, err := kafka.StartGroups(sctx, kafka.GroupsConfig{
		Settings: set, Topic: env.Topic, Conn: env.Conn, GroupConn: nw.Groups, Admin: env.Admin,
		GroupPrefix: env.Topic, Point: mp, Subscribers: sc.Subscribers, Behaviours: behs, Logf: pt.Log,
		TrimConsumed: env.Embedded, Published: published, TimeScale: sc.TimeScale,
	})
	if err != nil {
		return nil, err
	}
	defer groups.Close()
	var gate func() bool
	if env.Embedded {
		// The embedded broker's records live in evbench's memory: hold
		// requests while the slowest group's lag exceeds the budget
		// (records of the event size, as the kafka runner's producers do).
		recBytes := int64(sc.Event.Size.MeanValue()) + 64
		gate = func() bool { return groups.MaxLag()*recBytes > kafka.EmbeddedUnconsumedBudget }
		mp.Note("%s", kafka.EmbeddedMemoryNote)
	}
	setStart := []func(int64){nw.Links.SetStart}
	for _, b := range behs {
		setStart = append(setStart, b.SetStart)
	}
	if len(bc.Faults) > 0 {
		if parallel {
			return nil, fmt.Errorf("bridge: systems.bridge.parallel_run is not supported with systems.bridge.faults (the crashing bridge runs as a child process, without the legacy webhook path)")
		}
		if !kafka.ProducerNetwork(sc).IsZero() || !ConfigOf(sc).IngressNetwork.IsZero() {
			return nil, fmt.Errorf("bridge: systems.bridge.faults runs the bridge as a child process, which cannot use an emulated producer_network or ingress_network link")
		}
		return runCrashing(ctx, pt, mp, gen, bc, set, env, secret, groups, setStart, bf)
	}
	var old *legacy
	var forward func(load.Event)
	if parallel {
		if old, err = startLegacy(sc, pt, mp.Subs[len(sc.Subscribers):], mp.AddBytes); err != nil {
			return nil, err
		}
		defer old.close()
		forward = old.disp.Dispatch
		mp.Note("bridge: parallel run: every event the ingress verifies is also delivered by a webhook sender to the legacy endpoints (subscribers named <name>%s, in-process sinks); results.parallel_run compares each subscriber's two delivery sets", scenarios.LegacySuffix)
	}
	in, err := StartIngress(IngressConfig{
		Secret: secret, Ack: bc.Ack, Settings: set, Topic: env.Topic, Conn: nw.Producer,
		Keys: sc.Event.Keys, Obs: mp, ProduceTimeout: bc.Timeout, Gate: gate, Forward: forward,
	})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	ingress.Store(in)
	pt.Log("bridge: ingress on %s (ack %s)", in.URL(), bc.Ack)
	snd := NewSender(in.URL(), in.Addr(), secret, bc.MaxInFlight, bc.Timeout, mp)
	defer snd.Close()
	if err := linkSender(nw.Links, ConfigOf(sc).IngressNetwork, snd); err != nil {
		return nil, err
	}
	snd.StopOn(ctx.Done())

	mp.SetGauges(measure.Gauges{
		InFlight:   func() int64 { return snd.InFlight() + in.InFlight() },
		QueueDepth: snd.QueueDepth,
		Lag:        groups.Lag,
	})
	if old != nil {
		setStart = append(setStart, old.setStart...)
	}
	start := pt.Begin(mp, setStart...)
	stopWatch := kafka.WatchCluster(env, mp, kafka.FaultsOf(sc))
	defer stopWatch()
	bf.Start(mp)
	defer bf.Stop() //nolint:errcheck // the error is read below; this only guards early returns
	if r.OnIngress != nil {
		r.OnIngress(in, groups)
	}
	gen.Run(ctx, start, snd.Send)
	interrupted := kafka.Drain(ctx, pt, mp)

	unsent := snd.Close()
	in.Close()
	in.AddUnsent(unsent)
	faultErr := bf.Stop() // after the ingress closed: see the kafka runner
	stopWatch()
	unackedErr := kafka.ExcuseUnacked(in.UnackedError(), bf, mp)
	if n := in.Rejected(); n > 0 {
		mp.Note("bridge: %d requests rejected with 401 (signature failures)", n)
	}
	groups.Close()
	if err := old.close(); err != nil {
		mp.Note("bridge: parallel run: closing the legacy webhook side: %v", err)
	}
	res, err := mp.Finish(Caps, pt.Params)
	if res != nil {
		res.Network = nw.Links.Record()
	}
	groups.AttachCatchUps(res)
	if parallel && err == nil {
		err = results.CompareParallel(res, scenarios.LegacySuffix)
	}
	res, err = kafka.FinishStatus(res, err, interrupted, unackedErr)
	return kafka.FaultStatus(res, err, faultErr)
}
