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
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/behave"
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

// defaultInterruptDrain bounds the drain after Ctrl-C when the point does
// not say otherwise.
const defaultInterruptDrain = 5 * time.Second

// Run implements runners.Runner.
func (r *Runner) Run(ctx context.Context, pt *runners.Point) (*results.Point, error) {
	if pt == nil || pt.Scenario == nil {
		return nil, errors.New("webhook runner: no scenario")
	}
	sc := pt.Scenario
	if len(sc.Subscribers) == 0 {
		return nil, errors.New("webhook runner: scenario has no subscribers")
	}
	wh := Resolve(ConfigOf(sc))

	gen, err := load.New(sc)
	if err != nil {
		return nil, fmt.Errorf("webhook runner: load generator: %w", err)
	}
	names := make([]string, len(sc.Subscribers))
	for i, s := range sc.Subscribers {
		names[i] = s.Name
	}
	mp := measure.NewPoint(System, gen, names, sc.Event.Keys)

	var secret *Secret
	if wh.Signing.On() {
		if env := wh.Signing.SecretEnv; env != "" {
			v, err := secretenv.Get(env, "signing.secret_env")
			if err != nil {
				return nil, fmt.Errorf("webhook runner: %w", err)
			}
			if secret, err = ParseSecret(v); err != nil {
				return nil, fmt.Errorf("webhook runner: secret from %s: %w", env, err)
			}
		} else if secret, err = NewSecret(); err != nil {
			return nil, fmt.Errorf("webhook runner: %w", err)
		}
	}

	var cert *Cert
	for _, s := range sc.Subscribers {
		if s.TLS {
			if cert, err = NewSelfSignedCert(); err != nil {
				return nil, fmt.Errorf("webhook runner: %w", err)
			}
			break
		}
	}

	sinks := make([]*Sink, 0, len(sc.Subscribers))
	links := netem.NewLinks(pt.Logf)
	closeSinks := func() error {
		errs := []error{links.Close()}
		for _, s := range sinks {
			if s != nil { // nil: a url subscriber
				errs = append(errs, s.Close())
			}
		}
		return errors.Join(errs...)
	}
	targets := make([]Target, 0, len(sc.Subscribers))
	phases := make([]*Phases, len(sc.Subscribers))
	inProcess := 0
	for i, spec := range sc.Subscribers {
		phases[i] = NewPhases()
		target := Target{Name: spec.Name, Sub: mp.Subs[i], JoinAt: spec.JoinAt.D(), KeepAlive: spec.KeepAlive, Phases: phases[i], Retry: spec.Retry}
		if err := linkTarget(links, spec, &target); err != nil {
			_ = closeSinks()
			return nil, fmt.Errorf("webhook runner: %w", err)
		}
		if spec.External() {
			if err := externalTarget(spec, &target); err != nil {
				_ = closeSinks()
				return nil, fmt.Errorf("webhook runner: %w", err)
			}
			shardTarget(spec, &target, gen.Shard()) // shardledger.go
			sinks = append(sinks, nil)
			targets = append(targets, target)
			continue
		}
		inProcess++
		sink, err := NewSink(SinkConfig{
			Name:      spec.Name,
			TLS:       spec.TLS,
			Cert:      cert,
			Secret:    secret,
			Behaviour: behave.New(spec, sc.Event.Seed),
			Recorder:  mp.Subs[i],
			Logf:      pt.Logf,
		})
		if err == nil {
			err = sink.Start()
		}
		if err != nil {
			_ = closeSinks()
			return nil, fmt.Errorf("webhook runner: %w", err)
		}
		sinks = append(sinks, sink)
		target.URL = sink.URL()
		targets = append(targets, target)
	}

	disp, proc, err := newSender(wh, secret, cert, targets, sc.Subscribers, mp, pt)
	if err != nil {
		_ = closeSinks()
		return nil, fmt.Errorf("webhook runner: %w", err)
	}
	if n := behave.CeilingNote(System, wh.MaxInFlight, "max_in_flight deliveries per endpoint", sc.Subscribers); n != "" {
		mp.Note("%s", n)
	}
	if inProcess > 0 {
		mp.Note("webhook sinks are in-process fasthttp servers on 127.0.0.1, sharing the harness's CPU; e2e latency includes their simulated processing time")
	}
	for _, n := range endpointNotes(sc.Subscribers) {
		mp.Note("%s", n)
	}
	pt.Log("webhook: %d sinks up, %d external receivers, signing %v, connections %s", inProcess, len(sinks)-inProcess, secret != nil, wh.Connections)

	// Dead-letter lines of this point: the writer is shared by every point
	// of a run, and points run one at a time.
	dlLines0, dlDropped0 := pt.DeadLetters.Lines(), pt.DeadLetters.Dropped()

	setStart := []func(int64){disp.SetMeasuredStart, links.SetStart}
	for _, s := range sinks {
		if s != nil {
			setStart = append(setStart, s.SetStart)
		}
	}
	// Memory per delivery in flight and per connection (memsample.go):
	// only for the in-process sender, whose memory is this process's.
	var mem *memSampler
	if d, ok := disp.(*Dispatcher); ok {
		mem = startMemSampler(d.InFlight, d.OpenConns, memSampleInterval)
	}
	start := pt.Begin(mp, setStart...)

	gen.Run(ctx, start, disp.Dispatch)
	// The latest the drain can end: sink_ledger subscribers' ledgers are
	// read until then while they are short (readSinkLedgers).
	drainEnd := time.Now().Add(sc.Load.Drain.D())

	// Drain: let in-flight deliveries and retries finish before loss is
	// counted; it ends early once every event is delivered or
	// dead-lettered. After an interruption (before or during the drain)
	// it is bounded by InterruptDrain.
	limit := pt.InterruptDrain.D()
	if limit <= 0 {
		limit = defaultInterruptDrain
	}
	interrupted := ctx.Err() != nil
	if drain := sc.Load.Drain.D(); interrupted {
		mp.Drain(min(drain, limit), nil)
	} else {
		mp.Drain(drain, ctx.Done())
		if ctx.Err() != nil {
			interrupted = true
			mp.Drain(limit, nil)
		}
	}

	var memRes *results.SenderMemory
	if mem != nil {
		scope := results.MemorySenderOnly
		if inProcess > 0 {
			scope = results.MemoryUpperBound
		}
		memRes = mem.Finish(scope)
	}

	// Stop the sender first so nothing new starts, then the sinks (which
	// releases held and hung requests), then wait for the sender's
	// attempts to return: after this nothing records a delivery.
	disp.Stop()
	stopErr := make(chan error, 1)
	go func() { stopErr <- disp.Close() }()
	sinkErr := closeSinks()
	dispErr := <-stopErr
	// Every dead letter of the point is queued by now: wait for the disk.
	dlErr := pt.DeadLetters.Flush()
	dlDropped := pt.DeadLetters.Dropped() - dlDropped0
	dlLines := pt.DeadLetters.Lines() - dlLines0

	res, err := mp.Finish(Caps, pt.Params)
	if err != nil {
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	res.Network = links.Record()
	res.SenderMemory = memRes
	if proc != nil {
		proc.attach(res)
	}
	if interrupted {
		res.Status = results.StatusInterrupted
	}
	if err := attachEndpoints(res, sc.Subscribers, wh, phases); err != nil {
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	if interrupted {
		drainEnd = time.Now() // read the ledgers once, do not wait
	}
	ledgerNotes, sinkLedgerBad, err := readSinkLedgers(res, sc.Subscribers, targets, mp, gen, secret, sc.Load.Warmup > 0, drainEnd)
	if err != nil {
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	res.Notes = append(res.Notes, ledgerNotes...)
	if e := errors.Join(sinkErr, dispErr); e != nil {
		res.Notes = append(res.Notes, "shutdown: "+e.Error())
	}
	if testHookBeforeLedger != nil {
		testHookBeforeLedger(sinks)
	}
	if bad := append(ledger(sinks, mp, pt.DeadLetters != nil && dispErr == nil && dlErr == nil, dlLines+dlDropped, sinkErr == nil), sinkLedgerBad...); len(bad) > 0 {
		err := measure.LedgerError(bad)
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, fmt.Errorf("webhook runner: %w", err)
	}
	if dlErr != nil {
		// The counts in results are right, but dead-letters.jsonl could not
		// be written: fail the point loudly rather than ship a partial file.
		err := fmt.Errorf("webhook runner: dead letters: %d written, %d not written: %w", dlLines, dlDropped, dlErr)
		res.Status = results.StatusFailed
		res.Error = err.Error()
		return res, err
	}
	if dlDropped > 0 {
		// The writer's bounded buffer overflowed (the disk or the CPU could
		// not keep up); the pacer was not made to wait for it.
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d dead letters of this point were not written to dead-letters.jsonl (%d were): %v; the counts in results are exact",
			DeadLettersIncomplete, dlDropped, dlLines, runners.ErrLineBufferFull))
	}
	return res, nil
}

// DeadLettersIncomplete starts the note of a point whose dead-letter lines
// did not all fit the writer's bounded buffer.
const DeadLettersIncomplete = "dead-letters.jsonl incomplete"

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
