package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// setupTimeout bounds broker start, topic set-up and group joins.
const setupTimeout = 2 * time.Minute

// transports holds every hop's transport so they can be stopped together.
type transports struct {
	notes    []string
	setStart []func(int64)
	closers  []func()
	checks   []func() error
	closed   bool
}

// close stops every transport, senders first (in reverse order of start).
func (t *transports) close() {
	if t.closed {
		return
	}
	t.closed = true
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
}

// err reports records a Kafka-based hop never got acknowledged, or nil.
func (t *transports) err() error {
	var errs []error
	for _, c := range t.checks {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// behaviourOf is a hop target's simulated behaviour: the target service's
// processing time and the hop's faults.
func behaviourOf(r *run, h *hop, e *edge) *behave.Subscriber {
	return behave.New(scenarios.Subscriber{
		Name:       r.f.Name + "/" + h.spec.Name + "/" + e.to.name,
		Processing: e.to.spec.Processing,
		Ack:        scenarios.AckAfterProcessing,
		Faults:     h.spec.Faults,
	}, r.sc.Event.Seed)
}

// startTransports starts every hop's transport, receivers first, so the
// load can start as soon as it returns. It returns what it started even
// with an error, for the caller to close.
func startTransports(ctx context.Context, r *run, opts Options) (*transports, error) {
	t := &transports{}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var env *kafka.Env
	var set kafka.Settings
	needKafka := false
	for _, h := range r.hops {
		needKafka = needKafka || h.spec.Via != viaWebhook
	}
	if needKafka {
		kcfg := kafka.ConfigOf(r.sc)
		if kcfg == nil {
			kcfg = kafka.DefaultConfig()
		}
		var err error
		set, err = kafka.Resolve(kcfg, opts.Brokers)
		if err != nil {
			return t, err
		}
		// Every hop gets a fresh topic of its own, deleted afterwards; a
		// named systems.kafka topic belongs to the kafka points.
		set.Topic = ""
		set.DeleteAfter = true
		env, err = kafka.Open(sctx, set, r.sc.Name, System+"-"+r.f.Name, opts.Logf)
		if err != nil {
			return t, err
		}
		t.closers = append(t.closers, env.Close)
		t.notes = append(t.notes, env.Note())
	}
	for _, h := range r.hops {
		var err error
		switch h.spec.Via {
		case viaWebhook:
			err = startWebhook(r, h, t)
		case viaKafka, viaBridge:
			err = startKafkaHop(sctx, r, h, t, env, set)
		default:
			err = fmt.Errorf("hop %s: unknown transport %q", h.spec.Name, h.spec.Via)
		}
		if err != nil {
			return t, fmt.Errorf("hop %s (%s): %w", h.spec.Name, h.spec.Via, err)
		}
	}
	return t, nil
}

// secretOf returns the signing secret of a signing block: from the named
// environment variable, or a fresh random one; nil when signing is off.
func secretOf(s scenarios.Signing, key string) (*webhook.Secret, error) {
	if !s.On() {
		return nil, nil
	}
	if env := s.SecretEnv; env != "" {
		v, err := secretenv.Get(env, key)
		if err != nil {
			return nil, err
		}
		return webhook.ParseSecret(v)
	}
	return webhook.NewSecret()
}

// recorder is a sink's Recorder: the edge's measure.Subscriber does the
// deduplication and counting, and a first processing is handed to the
// flow so the event travels on.
type recorder struct {
	*measure.Subscriber
	r *run
	e *edge
}

// Delivered implements webhook.Recorder.
func (rc recorder) Delivered(id uint64, key int, intended, done int64) {
	rc.Subscriber.Delivered(id, key, intended, done)
	rc.r.processed(rc.e, id, key, intended, done)
}

// startWebhook starts one sink per target (the target service's
// processing, the hop's faults) and a dispatcher delivering to them with
// the systems.webhook settings (retries, timeout, signing).
func startWebhook(r *run, h *hop, t *transports) error {
	wh := webhook.Resolve(webhook.ConfigOf(r.sc))
	secret, err := secretOf(wh.Signing, "systems.webhook.signing.secret_env")
	if err != nil {
		return err
	}
	var targets []webhook.Target
	for _, e := range h.edges {
		sk, err := webhook.NewSink(webhook.SinkConfig{Name: e.to.name, Secret: secret, Behaviour: behaviourOf(r, h, e),
			Recorder: recorder{Subscriber: e.sub, r: r, e: e}})
		if err != nil {
			return err
		}
		if err := sk.Start(); err != nil {
			return err
		}
		t.closers = append(t.closers, func() { _ = sk.Close() })
		t.setStart = append(t.setStart, sk.SetStart)
		targets = append(targets, webhook.Target{Name: e.to.name, URL: sk.URL(), Sub: e.sub})
	}
	d, err := webhook.NewDispatcher(webhook.DispatcherConfig{Webhook: wh, Secret: secret, AddBytes: h.mp.AddBytes}, targets)
	if err != nil {
		return err
	}
	t.closers = append(t.closers, func() { d.Stop(); _ = d.Close() })
	t.setStart = append(t.setStart, d.SetMeasuredStart)
	h.send = d.Dispatch
	return nil
}

// startKafkaHop creates the hop's topic and one consumer group per target,
// then its sending side: a producer (kafka), or the bridge ingress and a
// webhook sender posting to it (bridge).
func startKafkaHop(ctx context.Context, r *run, h *hop, t *transports, env *kafka.Env, set kafka.Settings) error {
	topic := kafka.AutoTopicName(r.sc.Name, System+"-"+r.f.Name+"-"+h.spec.Name)
	if _, err := kafka.EnsureTopic(ctx, env.Admin, kafka.TopicSpec{Name: topic, Partitions: set.Partitions,
		ReplicationFactor: set.ReplicationFactor, Configs: set.TopicConfigs}); err != nil {
		return err
	}
	t.closers = append(t.closers, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = kafka.DeleteTopic(dctx, env.Admin, topic)
	})
	subs := make([]scenarios.Subscriber, len(h.edges))
	behs := make([]*behave.Subscriber, len(h.edges))
	byName := map[string]*edge{}
	for i, e := range h.edges {
		behs[i] = behaviourOf(r, h, e)
		subs[i] = behs[i].Spec
		subs[i].Name = e.to.name
		byName[e.to.name] = e
		t.setStart = append(t.setStart, behs[i].SetStart)
	}
	groups, err := kafka.StartGroups(ctx, kafka.GroupsConfig{
		Settings: set, Topic: topic, Conn: env.Conn, Admin: env.Admin, GroupPrefix: topic,
		Point: h.mp, Subscribers: subs, Behaviours: behs, TrimConsumed: env.Embedded,
		OnDelivered: func(name string, m kafka.RecordMeta, done int64) {
			if e := byName[name]; e != nil {
				r.processed(e, m.ID, max(m.Key, 0), m.Intended, done)
			}
		},
	})
	if err != nil {
		return err
	}
	t.closers = append(t.closers, groups.Close)
	if h.spec.Via == viaKafka {
		prod, err := kafka.NewProducer(set, topic, env.Conn, r.sc.Event.Keys, h.mp)
		if err != nil {
			return err
		}
		prod.StopOn(r.stop)
		t.closers = append(t.closers, func() { prod.Close() })
		t.checks = append(t.checks, func() error { return prod.UnackedError(System + " hop " + h.spec.Name) })
		h.send = prod.Send
		return nil
	}
	bsc := bridge.ConfigOf(r.sc)
	if bsc == nil {
		bsc = &bridge.BlockConfig{Ack: scenarios.DefaultBridgeAck, Timeout: scenarios.DefaultBridgeTimeout, MaxInFlight: scenarios.DefaultBridgeInFlight}
	}
	bc, err := bridge.ResolveConfig(bsc)
	if err != nil {
		return err
	}
	secret, err := bc.Secret()
	if err != nil {
		return err
	}
	in, err := bridge.StartIngress(bridge.IngressConfig{Secret: secret, Ack: bc.Ack, Settings: set, Topic: topic, Conn: env.Conn,
		Keys: r.sc.Event.Keys, Obs: h.mp, ProduceTimeout: bc.Timeout})
	if err != nil {
		return err
	}
	snd := bridge.NewSender(in.URL(), in.Addr(), secret, bc.MaxInFlight, bc.Timeout, h.mp)
	snd.StopOn(r.stop)
	t.closers = append(t.closers, func() { in.Close() }, func() { in.AddUnsent(snd.Close()) })
	t.checks = append(t.checks, in.UnackedError)
	h.send = snd.Send
	return nil
}
