package measure

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// Gauges are sampled once per second into the time series and the live
// snapshot. Any may be nil.
type Gauges struct {
	// InFlight is requests or records in flight (sent, not finished).
	InFlight func() int64
	// QueueDepth is work waiting to be sent (webhook queues, producer buffer).
	QueueDepth func() int64
	// RetriesWaiting is deliveries waiting for a retry timer (webhook).
	RetriesWaiting func() int64
	// Lag is the total consumer lag in records (kafka, bridge).
	Lag func() int64
}

// Point collects one point's measurements.
type Point struct {
	System string
	Gen    *load.Generator
	Subs   []*Subscriber

	crashBridge bool // CrashLost losses are the bridge's (crash.go)

	idBase        uint64
	measuredStart int64
	bytesSent     atomic.Int64
	gauges        Gauges
	series        series
	usage0        usage
	bytes0        int64
	baseline      *time.Timer
	notes         []string
	brokerKind    string
	onEmbedded    bool
	mu            sync.Mutex
	publish       *hdr.Histogram
	ingress       *hdr.Histogram
	pubErrs       [numErrClasses]atomic.Int64
	stop          chan struct{}
	faults        faultState
	wg            sync.WaitGroup
	started       time.Time
	sched0        schedSnapshot // scheduler latency at Start (lagcause.go)
	consumerSeqs                // consume.go
}

// NewPoint prepares measurement for a point. Call Start right before the
// generator runs.
func NewPoint(system string, gen *load.Generator, subscribers []string, keys int) *Point {
	p := &Point{System: system, Gen: gen, idBase: gen.IDBase(), publish: results.NewHistogram(), ingress: results.NewHistogram(), stop: make(chan struct{})}
	if keys <= 0 {
		keys = 1
	}
	for _, n := range subscribers {
		p.Subs = append(p.Subs, newSubscriber(n, p, keys))
	}
	return p
}

// SetGauges installs the system's gauges; call before Start.
func (p *Point) SetGauges(g Gauges) { p.gauges = g }

// Note attaches an honesty label or warning to the point's results.
func (p *Point) Note(format string, args ...any) {
	p.mu.Lock()
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// SetBroker records the broker the point's system published to: its kind
// (a human-readable name and version) and whether it is the in-memory
// embedded broker. They become the point's typed broker_kind and
// broker_embedded fields; only a point of a system with the broker capability may carry them.
func (p *Point) SetBroker(kind string, embedded bool) {
	p.mu.Lock()
	p.brokerKind, p.onEmbedded = kind, embedded
	p.mu.Unlock()
}

// AddBytes counts bytes the harness sent on behalf of the system.
func (p *Point) AddBytes(n int) { p.bytesSent.Add(int64(n)) }

// Published records a Kafka publish ack (intended -> acked), kafka and bridge.
func (p *Point) Published(intended, acked int64) {
	if intended >= p.measuredStart {
		p.faults.ack.observe(acked)
	}
	p.recordSince(p.publish, intended, acked)
}

// Ingress records a bridge ingress ack (intended -> HTTP 2xx from the bridge).
func (p *Point) Ingress(intended, acked int64) { p.recordSince(p.ingress, intended, acked) }

// recordSince records at - intended into h, ignoring warm-up events.
func (p *Point) recordSince(h *hdr.Histogram, intended, at int64) {
	if intended < p.measuredStart {
		return
	}
	us := micros(intended, at)
	p.mu.Lock()
	_ = h.RecordValue(us)
	p.mu.Unlock()
}

// micros is to - from in whole microseconds, at least 1: the histograms'
// lowest trackable value, so a sub-microsecond interval is not dropped.
func micros(from, to int64) int64 {
	return max((to-from)/1000, 1)
}

// PublishError counts a produce failure.
func (p *Point) PublishError(c ErrClass) { p.pubErrs[c].Add(1) }

// Start begins the per-second sampler. start is the Now() timestamp passed
// to the generator's Run; the measured period begins after the warm-up.
func (p *Point) Start(start int64) {
	p.measuredStart = start + int64(p.Gen.Schedule().Warmup())
	p.started = load.ToTime(p.measuredStart)
	// Resources count from the start of the measured period to the end of
	// the drain, so warm-up work is excluded like warm-up latencies are.
	p.usage0 = readUsage()
	p.sched0 = readSchedLatency()
	p.baseline = time.AfterFunc(time.Until(load.ToTime(p.measuredStart)), func() {
		u := readUsage()
		p.mu.Lock()
		p.usage0, p.bytes0 = u, p.bytesSent.Load()
		p.mu.Unlock()
	})
	p.series.init(p.measuredStart, p.Gen.Schedule())
	p.faults.start(p.measuredStart)
	p.wg.Add(1)
	go p.sampler()
}

// MeasuredStart is the Now() timestamp of the start of the measured period.
func (p *Point) MeasuredStart() int64 { return p.measuredStart }

func (p *Point) sampler() {
	defer p.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.sample()
		}
	}
}

func gauge(f func() int64) int64 {
	if f == nil {
		return 0
	}
	return f()
}

func (p *Point) sample() {
	var delivered int64
	for _, s := range p.Subs {
		delivered += s.DeliveredCount()
	}
	p.series.sample(load.Now(), p.Gen.Sent(), delivered,
		gauge(p.gauges.InFlight), gauge(p.gauges.QueueDepth), gauge(p.gauges.Lag), gauge(p.gauges.RetriesWaiting))
}

// Settled reports whether every measured event has been delivered to every
// subscriber (or dead-lettered and not delivered): the drain can end early.
// An event both dead-lettered and delivered counts once (Resolved).
func (p *Point) Settled() bool {
	sent := p.Gen.Measured()
	for _, s := range p.Subs {
		if s.Resolved() < sent {
			return false
		}
	}
	return true
}

// Drain waits until Settled or until max has passed or done is closed,
// checking every 10 ms.
func (p *Point) Drain(max time.Duration, done <-chan struct{}) {
	deadline := time.Now().Add(max)
	for !p.Settled() && time.Now().Before(deadline) {
		select {
		case <-done:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Snapshot is the live view for progress display.
type Snapshot struct {
	System         string
	Elapsed, Total time.Duration
	OfferedPerS    float64
	AchievedPerS   float64
	P99            time.Duration
	InFlight       int64
	RetriesWaiting int64
	Lost           int64 // dead-lettered and not processed so far: given up for good
	Sent           int64
	Delivered      int64
}

// Snapshot returns the live view; safe during the run.
func (p *Point) Snapshot() Snapshot {
	sched := p.Gen.Schedule()
	now := load.Now()
	el := time.Duration(now - p.Gen.Start())
	if p.Gen.Start() == 0 {
		el = 0
	}
	off, ach := p.series.lastRates()
	if off == 0 && ach == 0 && el > 0 {
		// Before the first one-second sample: the schedule's rate and the
		// average so far, rather than a misleading 0/s.
		off = sched.RateAt(el)
		ach = float64(p.Gen.Sent()) / el.Seconds()
	}
	snap := Snapshot{System: p.System, Elapsed: el, Total: sched.Total(), OfferedPerS: off, AchievedPerS: ach,
		InFlight: gauge(p.gauges.InFlight), RetriesWaiting: gauge(p.gauges.RetriesWaiting), Sent: p.Gen.Measured()}
	for _, s := range p.Subs {
		if v := time.Duration(s.P99US()) * time.Microsecond; v > snap.P99 {
			snap.P99 = v
		}
		snap.Lost += s.deadUndelivered.Load()
		snap.Delivered += s.DeliveredCount()
	}
	return snap
}

// Finish stops sampling and builds the results point with the figures
// the system's capabilities c name (its descriptor's, runners.Descriptor),
// and records c on the point: publish latency and errors with Publish,
// ingress latency with Ingress (even empty, so a point that measured no
// event still says what it would have measured), per-attempt latency and
// attempts per delivery with Attempts. It returns an error (and the
// point, marked failed) when the accounting identity does not hold: that
// is a harness bug and must fail loudly.
func (p *Point) Finish(c results.Capabilities, params map[string]float64) (*results.Point, error) {
	if !c.Broker && p.brokerKind != "" {
		return nil, fmt.Errorf("measure: broker %q set on a point of a system without the broker capability", p.brokerKind)
	}
	if c.Ingress && !c.Publish {
		return nil, errors.New("measure: ingress latency without publish latency: an ingress publishes")
	}
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
	p.sample()
	if p.baseline != nil {
		p.baseline.Stop()
	}
	u := readUsage()
	p.mu.Lock()
	u0, b0 := p.usage0, p.bytes0
	p.mu.Unlock()
	sched := p.Gen.Schedule()
	// An interrupted point was measured only until the generator stopped:
	// rates are over that time, not the planned duration.
	measuredDur := sched.Total() - sched.Warmup()
	ranTo := sched.Total()
	if ran := p.Gen.Ran(); ran > 0 && ran < sched.Total() {
		// Interrupted during the warm-up: nothing of the measured period
		// ran, so nothing was offered in it (not a negative amount).
		ranTo = max(ran, sched.Warmup())
		measuredDur = ranTo - sched.Warmup()
	}
	sent := p.Gen.Measured()
	lag := p.Gen.Lag()
	out := &results.Point{
		System:         p.System,
		Capabilities:   &c,
		Params:         params,
		Status:         results.StatusComplete,
		OfferedPerS:    sched.Expected(ranTo) - sched.Expected(sched.Warmup()),
		GeneratorLagUS: results.Lag{P99: lag.ValueAtQuantile(99), Max: lag.Max()},
		StartedAt:      p.started.UTC(),
		DurationS:      measuredDur.Seconds(),
		Resources: results.Resources{
			CPUUserS:    u.user - u0.user,
			CPUSysS:     u.sys - u0.sys,
			MaxRSSBytes: u.maxRSS,
			BytesSent:   p.bytesSent.Load() - b0,
		},
		Timeseries: p.series.samples(),
	}
	// Achieved is over the time the generator actually took: a generator
	// that needed 25 s to emit an 11 s schedule did not achieve the
	// offered rate, however many events it sent in the end.
	emitted := measuredDur
	if ret := p.Gen.Returned(); ret > 0 {
		emitted = max(emitted, time.Duration(ret-p.measuredStart))
		out.EmittedS = emitted.Seconds()
	}
	if secs := measuredDur.Seconds(); secs > 0 {
		out.OfferedPerS /= secs
		out.AchievedPerS = float64(sent) / emitted.Seconds()
	}
	out.Overloaded, out.OverloadReason = overloaded(measuredDur, emitted, time.Duration(lag.ValueAtQuantile(99))*time.Microsecond)
	p.mu.Lock()
	out.Notes = append(out.Notes, p.notes...)
	if n := lagCauseNote(out.GeneratorLagUS.P99, p.Gen.WakeLateMaxUS(), p.Gen.LateWakes(), readSchedLatency().maxSince(p.sched0)); n != "" {
		out.Notes = append(out.Notes, n)
	}
	out.BrokerKind, out.BrokerEmbedded = p.brokerKind, p.onEmbedded
	if c.Publish {
		pl, err := results.NewLatency(p.publish)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		out.Publish = &pl
		out.PublishErrors = &results.Errors{
			Timeout: p.pubErrs[ErrTimeout].Load(), Refused: p.pubErrs[ErrRefused].Load(),
			Broker: p.pubErrs[ErrBroker].Load(), Other: p.pubErrs[ErrOther].Load(),
			// The bridge's ingress path: HTTP answers and signature failures.
			HTTP4xx: p.pubErrs[ErrHTTP4xx].Load(), HTTP5xx: p.pubErrs[ErrHTTP5xx].Load(),
			SignatureFailures: p.pubErrs[ErrSignature].Load(),
		}
		if c.Ingress {
			il, err := results.NewLatency(p.ingress)
			if err != nil {
				p.mu.Unlock()
				return nil, err
			}
			out.Ingress = &il
		}
	}
	p.mu.Unlock()
	var bad []string
	var delivered int64
	// Measured events have full-schedule indices in [lo, hi), warm-up
	// events come first (idset.go).
	lo, hi := measuredRange(p.Gen, sent)
	ids, err := pointIDs(p.Gen, sent)
	if err != nil {
		return nil, err
	}
	out.IDs = ids
	if sh := p.Gen.Shard(); sh.Count > 1 || !p.Gen.PlannedStart().IsZero() {
		out.Shard = &results.Shard{Index: sh.Index, Count: sh.Count, StartAt: p.Gen.PlannedStart().UTC(), StartLateUS: p.Gen.StartLate().Microseconds()}
		// The schedule is the full run's: this shard offered 1/Count of it.
		out.OfferedPerS /= float64(sh.Count)
		for i := range out.Timeseries {
			out.Timeseries[i].Offered /= float64(sh.Count)
		}
	}
	for _, s := range p.Subs {
		r, err := s.result(sent, c)
		if err != nil {
			return nil, fmt.Errorf("subscriber %s: %w", s.Name, err)
		}
		if r.DeliveredIDs, err = s.deliveredIDs(lo, hi, ids.Stride); err != nil {
			return nil, fmt.Errorf("subscriber %s: %w", s.Name, err)
		}
		out.Subscribers = append(out.Subscribers, r)
		if err := r.Accounting.Check(); err != nil {
			bad = append(bad, fmt.Sprintf("subscriber %s: %v", s.Name, err))
		}
		for _, b := range s.ledger(lo, hi) {
			bad = append(bad, fmt.Sprintf("subscriber %s: %s", s.Name, b))
		}
		delivered += r.Accounting.Delivered
	}
	p.finishFaults(out, c)
	// The high-water mark once more, now that the subscribers' results,
	// id sets and histograms are built: with 1,000 subscribers building
	// them was the point's peak, which the reading above (taken before)
	// missed (issue 15 item 5).
	out.Resources.MaxRSSBytes = max(out.Resources.MaxRSSBytes, readUsage().maxRSS)
	// The per-second series is a second, independent tally of deliveries.
	if inSeries, recorded := p.series.totals(); inSeries != delivered || recorded != delivered {
		bad = append(bad, fmt.Sprintf("time series: %d deliveries in the samples, %d latencies recorded, %d delivered", inSeries, recorded, delivered))
	}
	if err := LedgerError(bad); err != nil {
		out.Status = results.StatusFailed
		out.Error = err.Error()
		return out, fmt.Errorf("%s: %w", p.System, err)
	}
	return out, nil
}

// ErrLedger marks a ledger cross-check failure: independent counts of the
// same events disagree, which is a harness bug, never a property of the
// system under test.
var ErrLedger = errors.New("harness bug: ledger cross-check failed")

// LedgerError joins what did not add up into one ErrLedger error, or nil.
func LedgerError(bad []string) error {
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrLedger, strings.Join(bad, "; "))
}

// Overload criteria: the generator could not keep its schedule when it
// finished emitting more than OverloadLateFraction of the measured period
// (and at least OverloadLateMin) after the schedule ended, or when the
// generator-lag p99 exceeds OverloadLagP99. Either way the offered load was
// not applied as scheduled, and the point says so (docs/scenarios.md,
// README "Overload").
const (
	OverloadLateFraction = 0.10
	OverloadLateMin      = time.Second
	OverloadLagP99       = time.Second
)

// overloaded applies the overload criteria to a point measured over
// measured (the schedule's measured period, or the part of it that ran)
// whose events took emitted to send, with generator-lag p99 lagP99.
func overloaded(measured, emitted, lagP99 time.Duration) (bool, string) {
	if late := emitted - measured; late > max(OverloadLateMin, time.Duration(OverloadLateFraction*float64(measured))) {
		return true, fmt.Sprintf("the generator took %.1f s to emit a %.1f s schedule (%.1f s late; the bound is %.0f%% of the measured period, at least %v): the offered rate was not applied",
			emitted.Seconds(), measured.Seconds(), late.Seconds(), OverloadLateFraction*100, OverloadLateMin)
	}
	if lagP99 > OverloadLagP99 {
		return true, fmt.Sprintf("generator lag p99 %v exceeds %v: events were sent late, the offered schedule was not applied", lagP99.Round(time.Millisecond), OverloadLagP99)
	}
	return false, ""
}
