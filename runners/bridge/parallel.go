package bridge

import (
	"errors"
	"fmt"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// A migration's parallel run (systems.bridge.parallel_run): the bridge
// delivers every event it receives both to the Kafka consumer groups (the
// new path, as without a parallel run) and, through a webhook sender, to
// the legacy webhook subscribers (one in-process sink per subscriber, named
// subscriber + scenarios.LegacySuffix in results). The legacy sender uses
// systems.webhook's settings (retry, timeout, signing, ...) or their
// defaults, and each subscriber's own retry policy; a subscriber's faults
// hit both paths (it is one service). It forwards an event as soon as the
// ingress has verified it, before and whatever Kafka does with it; a
// request the harness retries is forwarded again (a legacy duplicate).
// results.CompareParallel then compares the two delivery sets.

// legacy is the parallel run's webhook side.
type legacy struct {
	sinks    []*webhook.Sink
	disp     *webhook.Dispatcher
	setStart []func(int64)
	closed   bool
}

// legacyNames returns the legacy path's subscriber names, in subscriber
// order.
func legacyNames(sc *scenarios.Scenario) []string {
	out := make([]string, len(sc.Subscribers))
	for i, s := range sc.Subscribers {
		out[i] = s.Name + scenarios.LegacySuffix
	}
	return out
}

// startLegacy starts one sink per subscriber recording into subs (the
// legacy entries of the point) and the sender that delivers to them.
func startLegacy(sc *scenarios.Scenario, pt *runners.Point, subs []*measure.Subscriber, addBytes func(int)) (*legacy, error) {
	wh := webhook.Config{}
	if webhook.ConfigOf(sc) != nil {
		wh = *webhook.ConfigOf(sc)
	}
	var secret *webhook.Secret
	if wh.Signing.On() {
		var err error
		if env := wh.Signing.SecretEnv; env != "" {
			v, gerr := secretenv.Get(env, "signing.secret_env")
			if gerr != nil {
				return nil, fmt.Errorf("bridge parallel run: %w", gerr)
			}
			secret, err = webhook.ParseSecret(v)
		} else {
			secret, err = webhook.NewSecret()
		}
		if err != nil {
			return nil, fmt.Errorf("bridge parallel run: signing: %w", err)
		}
	}
	var cert *webhook.Cert
	for _, s := range sc.Subscribers {
		if s.TLS {
			var err error
			if cert, err = webhook.NewSelfSignedCert(); err != nil {
				return nil, fmt.Errorf("bridge parallel run: %w", err)
			}
			break
		}
	}
	l := &legacy{}
	targets := make([]webhook.Target, 0, len(sc.Subscribers))
	for i, spec := range sc.Subscribers {
		sink, err := webhook.NewSink(webhook.SinkConfig{
			Name: subs[i].Name, TLS: spec.TLS, Cert: cert, Secret: secret,
			Behaviour: behave.New(spec, sc.Event.Seed), Recorder: subs[i], Logf: pt.Logf,
		})
		if err == nil {
			err = sink.Start()
		}
		if err != nil {
			l.closeSinks()
			return nil, fmt.Errorf("bridge parallel run: %w", err)
		}
		l.sinks = append(l.sinks, sink)
		l.setStart = append(l.setStart, sink.SetStart)
		targets = append(targets, webhook.Target{Name: subs[i].Name, URL: sink.URL(), Sub: subs[i], JoinAt: spec.JoinAt.D(), KeepAlive: spec.KeepAlive, Retry: spec.Retry})
	}
	dcfg := webhook.DispatcherConfig{Webhook: wh, Secret: secret, DeadLetters: pt.DeadLetters, AddBytes: addBytes}
	if cert != nil {
		dcfg.RootCAs = cert.Pool()
	}
	disp, err := webhook.NewDispatcher(dcfg, targets)
	if err != nil {
		l.closeSinks()
		return nil, fmt.Errorf("bridge parallel run: %w", err)
	}
	l.disp = disp
	l.setStart = append(l.setStart, disp.SetMeasuredStart)
	return l, nil
}

func (l *legacy) closeSinks() error {
	var errs []error
	for _, s := range l.sinks {
		errs = append(errs, s.Close())
	}
	l.sinks = nil
	return errors.Join(errs...)
}

// close stops the sender, then the sinks, and waits for the sender's
// attempts to return: after it nothing records a legacy delivery.
func (l *legacy) close() error {
	if l == nil || l.closed {
		return nil
	}
	l.closed = true
	l.disp.Stop()
	done := make(chan error, 1)
	go func() { done <- l.disp.Close() }()
	sinkErr := l.closeSinks()
	return errors.Join(<-done, sinkErr)
}
