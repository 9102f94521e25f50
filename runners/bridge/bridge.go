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

// Defaults for a bridge block that leaves fields zero (they mirror the
// documented defaults of scenarios.Bridge).
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxInFlight = 256
)

func init() {
	runners.Register(System, func() runners.Runner { return &Runner{} })
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
}

// ResolveConfig fills a bridge block's defaults and checks it (nil means
// all defaults).
func ResolveConfig(b *scenarios.Bridge) (Config, error) {
	var in scenarios.Bridge
	if b != nil {
		in = *b
	}
	c := Config{Ack: in.Ack, Timeout: in.Timeout.D(), MaxInFlight: in.MaxInFlight, Signing: in.Signing.On(), SecretEnv: in.Signing.SecretEnv}
	switch c.Ack {
	case "":
		c.Ack = AckAfterProduce
	case AckAfterProduce, AckBeforeProduce:
	default:
		return c, fmt.Errorf("bridge ack %q: want %s or %s", in.Ack, AckAfterProduce, AckBeforeProduce)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("bridge timeout %s: want > 0", c.Timeout)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxInFlight < 0 {
		return c, fmt.Errorf("bridge max_in_flight %d: want >= 1", c.MaxInFlight)
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
	bc, err := ResolveConfig(sc.Systems.Bridge)
	if err != nil {
		return nil, err
	}
	set, err := kafka.Resolve(sc.Systems.Kafka, pt.Brokers)
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
	mp := measure.NewPoint(System, gen, kafka.SubscriberNames(sc), sc.Event.Keys)

	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	env, err := kafka.Open(sctx, set, sc.Name, System, pt.Log)
	if err != nil {
		return nil, err
	}
	defer env.Close()
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
	groups, err := kafka.StartGroups(sctx, kafka.GroupsConfig{
		Settings: set, Topic: env.Topic, Conn: env.Conn, Admin: env.Admin,
		GroupPrefix: env.Topic, Point: mp, Subscribers: sc.Subscribers, Behaviours: behs, Logf: pt.Log,
	})
	if err != nil {
		return nil, err
	}
	defer groups.Close()
	in, err := StartIngress(IngressConfig{
		Secret: secret, Ack: bc.Ack, Settings: set, Topic: env.Topic, Conn: env.Conn,
		Keys: sc.Event.Keys, Obs: mp, ProduceTimeout: bc.Timeout,
	})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	pt.Log("bridge: ingress on %s (ack %s)", in.URL(), bc.Ack)
	snd := NewSender(in.URL(), in.Addr(), secret, bc.MaxInFlight, bc.Timeout, mp)
	defer snd.Close()

	mp.SetGauges(measure.Gauges{
		InFlight:   func() int64 { return snd.InFlight() + in.InFlight() },
		QueueDepth: snd.QueueDepth,
		Lag:        groups.Lag,
	})
	setStart := make([]func(int64), 0, len(behs))
	for _, b := range behs {
		setStart = append(setStart, b.SetStart)
	}
	start := pt.Begin(mp, setStart...)
	if r.OnIngress != nil {
		r.OnIngress(in, groups)
	}
	gen.Run(ctx, start, snd.Send)
	interrupted := ctx.Err() != nil
	mp.Drain(kafka.DrainFor(pt, interrupted), nil)

	if n := snd.Close(); n > 0 {
		mp.Note("bridge: %d events were still waiting to be sent at the end of the drain", n)
	}
	if n := in.Close(); n > 0 {
		mp.Note("bridge: %d records were still unacknowledged by Kafka at the end of the drain", n)
	}
	if n := in.Rejected(); n > 0 {
		mp.Note("bridge: %d requests rejected with 401 (signature failures)", n)
	}
	groups.Close()
	res, err := mp.Finish(measure.ViaBroker, pt.Params)
	if res != nil && interrupted && res.Status == results.StatusComplete {
		res.Status = results.StatusInterrupted
	}
	return res, err
}
