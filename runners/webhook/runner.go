// Package webhook is evbench's webhook fan-out system: a dispatcher that
// POSTs every event to every subscriber's endpoint with Standard Webhooks
// signatures, retries, Retry-After, 410 handling and dead letters; and
// in-process sinks that verify signatures, deduplicate, simulate the
// subscriber's processing time, ack mode and faults, and record exactly
// what they processed.
//
// The package registers the "webhook" runner. Its pieces (Secret, Sink,
// Dispatcher) are usable on their own.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/netem"
)

// System is the runner's system name.
const System = "webhook"

// Caps are what webhook points measure: each delivery attempt (per-attempt
// latency, attempts per delivery), retries waiting in the dispatcher's
// queues, and dead letters once retries are spent. No publish step, no
// broker.
var Caps = results.Capabilities{Attempts: true, Retries: true, RetryQueue: true, DeadLetters: true}

func init() {
	runners.Register(runners.Descriptor{Name: System, New: func() runners.Runner { return &Runner{} },
		Caps: Caps, CostFamily: results.FamilyPush, Order: 1})
}

// Runner runs the webhook system for one point: one in-process sink per
// subscriber on 127.0.0.1, one dispatcher fanning every event out to all
// of them.
type Runner struct{}

// Run implements runners.Runner: the webhook system's start, send and stop
// under runners.RunPoint.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	return runners.RunPoint(ctx, pt, runners.Spec{System: System, Caps: Caps}, &point{})
}

// point is the webhook system's part of one point.
type point struct {
	wh        Config
	secret    *Secret
	sinks     []*Sink // nil for a url subscriber
	links     *netem.Links
	targets   []Target
	phases    []*Phases
	inProcess int
	disp      sender
	proc      *senderProc
	mem       *memSampler
	memRes    *results.SenderMemory

	closeOnce        sync.Once
	sinkErr, dispErr error
}

// closeSinks closes the links and the in-process sinks once.
func (p *point) closeSinks() error {
	p.closeOnce.Do(func() {
		errs := []error{p.links.Close()}
		for _, s := range p.sinks {
			if s != nil { // nil: a url subscriber
				errs = append(errs, s.Close())
			}
		}
		p.sinkErr = errors.Join(errs...)
	})
	return p.sinkErr
}

// Start starts the sinks (or records the external receivers) and the
// sender.
func (p *point) Start(_ context.Context, r *runners.Run) error {
	pt, sc, mp := r.Point, r.Point.Scenario, r.Measure
	p.wh = Resolve(ConfigOf(sc))
	wh := p.wh
	var err error
	if wh.Signing.On() {
		if env := wh.Signing.SecretEnv; env != "" {
			v, err := secretenv.Get(env, "signing.secret_env")
			if err != nil {
				return fmt.Errorf("webhook runner: %w", err)
			}
			if p.secret, err = ParseSecret(v); err != nil {
				return fmt.Errorf("webhook runner: secret from %s: %w", env, err)
			}
		} else if p.secret, err = NewSecret(); err != nil {
			return fmt.Errorf("webhook runner: %w", err)
		}
	}

	var cert *Cert
	for _, s := range sc.Subscribers {
		if s.TLS {
			if cert, err = NewSelfSignedCert(); err != nil {
				return fmt.Errorf("webhook runner: %w", err)
			}
			break
		}
	}

	p.links = netem.NewLinks(pt.Logf)
	r.Defer(func() { _ = p.closeSinks() })
	r.AtBegin(p.links.SetStart)
	behaviours := r.Behaviours()
	p.phases = make([]*Phases, len(sc.Subscribers))
	for i, spec := range sc.Subscribers {
		p.phases[i] = NewPhases()
		target := Target{Name: spec.Name, Sub: mp.Subs[i], JoinAt: spec.JoinAt.D(), KeepAlive: spec.KeepAlive, Phases: p.phases[i], Retry: spec.Retry}
		if err := linkTarget(p.links, spec, &target); err != nil {
			return fmt.Errorf("webhook runner: %w", err)
		}
		if spec.External() {
			if err := externalTarget(spec, &target); err != nil {
				return fmt.Errorf("webhook runner: %w", err)
			}
			shardTarget(spec, &target, r.Gen.Shard()) // shardledger.go
			p.sinks = append(p.sinks, nil)
			p.targets = append(p.targets, target)
			continue
		}
		p.inProcess++
		sink, err := NewSink(SinkConfig{
			Name:      spec.Name,
			TLS:       spec.TLS,
			Cert:      cert,
			Secret:    p.secret,
			Behaviour: behaviours[i],
			Recorder:  mp.Subs[i],
			Logf:      pt.Logf,
		})
		if err == nil {
			p.sinks = append(p.sinks, sink)
			r.AtBegin(sink.SetStart)
			err = sink.Start()
		}
		if err != nil {
			return fmt.Errorf("webhook runner: %w", err)
		}
		target.URL = sink.URL()
		p.targets = append(p.targets, target)
	}

	if p.disp, p.proc, err = newSender(wh, p.secret, cert, p.targets, sc.Subscribers, mp, pt); err != nil {
		return fmt.Errorf("webhook runner: %w", err)
	}
	r.AtBegin(p.disp.SetMeasuredStart)
	r.CeilingNote(System, wh.MaxInFlight, "max_in_flight deliveries per endpoint")
	if p.inProcess > 0 {
		r.Note("webhook sinks are in-process fasthttp servers on 127.0.0.1, sharing the harness's CPU; e2e latency includes their simulated processing time")
	}
	for _, n := range endpointNotes(sc.Subscribers) {
		r.Note("%s", n)
	}
	pt.Log("webhook: %d sinks up, %d external receivers, signing %v, connections %s", p.inProcess, len(p.sinks)-p.inProcess, p.secret != nil, wh.Connections)
	// Memory per delivery in flight and per connection (memsample.go):
	// only for the in-process sender, whose memory is this process's.
	if d, ok := p.disp.(*Dispatcher); ok {
		p.mem = startMemSampler(d.InFlight, d.OpenConns, memSampleInterval)
	}
	return nil
}

// Send hands the event to the dispatcher.
func (p *point) Send(ev load.Event) { p.disp.Dispatch(ev) }

// Stop stops the sender first so nothing new starts, then the sinks
// (which releases held and hung requests), then waits for the sender's
// attempts to return: after this nothing records a delivery.
func (p *point) Stop(*runners.Run) {
	if p.mem != nil {
		scope := results.MemorySenderOnly
		if p.inProcess > 0 {
			scope = results.MemoryUpperBound
		}
		p.memRes = p.mem.Finish(scope)
	}
	p.disp.Stop()
	stopErr := make(chan error, 1)
	go func() { stopErr <- p.disp.Close() }()
	_ = p.closeSinks()
	p.dispErr = <-stopErr
}

// Finish adds the links, the sender's memory and process, the endpoints
// and the sink ledgers to the point, and cross-checks its ledger.
func (p *point) Finish(r *runners.Run, res *results.Point, err error) (*results.Point, error) {
	if err != nil {
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	sc, mp := r.Point.Scenario, r.Measure
	res.Network = p.links.Record()
	res.SenderMemory = p.memRes
	if p.proc != nil {
		p.proc.attach(res)
	}
	if err := attachEndpoints(res, sc.Subscribers, p.wh, p.phases); err != nil {
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	// The latest the drain could end: sink_ledger subscribers' ledgers are
	// read until then while they are short (readSinkLedgers); after an
	// interruption they are read once, without waiting.
	drainEnd := r.LoadEnd.Add(sc.Load.Drain.D())
	if r.Interrupted {
		drainEnd = time.Now()
	}
	ledgerNotes, sinkLedgerBad, err := readSinkLedgers(res, sc.Subscribers, p.targets, mp, r.Gen, p.secret, sc.Load.Warmup > 0, drainEnd)
	if err != nil {
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	res.Notes = append(res.Notes, ledgerNotes...)
	if e := errors.Join(p.sinkErr, p.dispErr); e != nil {
		res.Notes = append(res.Notes, "shutdown: "+e.Error())
	}
	if testHookBeforeLedger != nil {
		testHookBeforeLedger(p.sinks)
	}
	checkLines := r.Point.DeadLetters != nil && p.dispErr == nil && r.DeadLetterErr == nil
	if bad := append(ledger(p.sinks, mp, checkLines, r.DeadLetterLines+r.DeadLettersDropped, p.sinkErr == nil), sinkLedgerBad...); len(bad) > 0 {
		err := measure.LedgerError(bad)
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	return res, nil
}

// DeadLettersIncomplete starts the note of a point whose dead-letter lines
// did not all fit the writer's bounded buffer (runners.RunPoint adds it).
const DeadLettersIncomplete = runners.DeadLettersIncomplete

// testHookBeforeLedger lets a test corrupt a sink's count to see the
// ledger cross-check fail the point.
var testHookBeforeLedger func(sinks []*Sink)

// ledger cross-checks the point's accounting against counts kept by other
// code (issue 9 item 8): each sink's own processed count against the
// events its subscriber's id bitmap says were processed (warm-up
// included), when every sink shut down cleanly; and the dead-letter lines
// of the point (written or dropped) against dead_lettered summed over
// subscribers, when the dispatcher shut down cleanly and the writer did not
// fail. A mismatch is a harness bug.
func ledger(sinks []*Sink, mp *measure.Point, checkLines bool, lines int64, checkSinks bool) []string {
	var bad []string
	var dead int64
	for i, s := range mp.Subs {
		dead += s.DeadLettered()
		if checkSinks && i < len(sinks) && sinks[i] != nil {
			if got, want := sinks[i].Stats().Processed, s.Processed(); got != want {
				bad = append(bad, fmt.Sprintf("sink %s processed %d events, the subscriber's ledger %d", s.Name, got, want))
			}
		}
	}
	if checkLines && lines != dead {
		bad = append(bad, fmt.Sprintf("%d dead-letter lines for %d dead-lettered events", lines, dead))
	}
	return bad
}
