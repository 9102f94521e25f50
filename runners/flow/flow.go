// Package flow runs a scenario's multi-hop flows (scenario flows:, issue 12
// item 4) on the existing transports, in process: the webhook dispatcher
// and sinks of runners/webhook, the Kafka producer and consumer groups of
// runners/kafka (embedded broker by default, or --brokers), and the bridge
// ingress and sender of runners/bridge.
//
// How an event travels: the open-loop generator emits it at its intended
// time to the flow's entry service, which processes it (the service's
// processing time, runners/behave) and, after its delay, sends it on every
// hop out of it. Each hop target is a sink or a consumer group whose
// behaviour is the target service's processing time plus the hop's faults;
// when the target has processed the event, the flow runner records the
// time and the target sends it on its own hops. The event keeps its id and
// its first intended time across hops (the webhook x-evbench-intended
// header, the Kafka evbench-intended record header), so every hop's
// cumulative latency and the flow's end-to-end latency are measured from
// the intended time the generator fixed, with coordinated omission
// corrected as everywhere else.
package flow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// System names each hop's measurement point (it is never a results point).
const System = "flow"

// Options configure a flows run.
type Options struct {
	// Brokers overrides the Kafka brokers ("" keeps the scenario's).
	Brokers string
	// Logf prints diagnostics; may be nil.
	Logf func(format string, args ...any)
	// OnStart, when set, is called once the load of a flow has started
	// (tests use it to check the timeline).
	OnStart func(flow string, measuredStart int64)
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// The hop transports this runner implements (transports.go), registered
// as the kinds a scenario's hops may use (`via:`).
const (
	viaWebhook = webhook.System // the webhook dispatcher to one sink per target
	viaKafka   = kafka.System   // a topic of its own, one consumer group per target
	viaBridge  = bridge.System  // a signed webhook to the bridge ingress, which produces to a topic of its own
)

func init() {
	for _, k := range []string{viaWebhook, viaKafka, viaBridge} {
		scenarios.RegisterHopKind(k)
	}
	runners.RegisterFlows(func(ctx context.Context, sc *scenarios.Scenario, brokers string, logf func(string, ...any)) ([]results.Flow, error) {
		return Run(ctx, sc, Options{Brokers: brokers, Logf: logf})
	})
}

// Run runs every flow of sc in turn, each with the scenario's load, and
// returns one result per flow. A flow that fails is recorded with status
// failed and its error; the first error is returned.
func Run(ctx context.Context, sc *scenarios.Scenario, opts Options) ([]results.Flow, error) {
	var out []results.Flow
	var first error
	for i := range sc.Flows {
		if ctx.Err() != nil {
			break
		}
		opts.logf("flow %s: starting", sc.Flows[i].Name)
		r, err := RunOne(ctx, sc, &sc.Flows[i], opts)
		if err != nil && first == nil {
			first = fmt.Errorf("flow %s: %w", sc.Flows[i].Name, err)
		}
		out = append(out, r)
	}
	return out, first
}

// maxSeq bounds the events a flow tracks (see cells).
const maxSeq = scenarios.MaxFlowCells

// run is one flow's state while it runs.
type run struct {
	sc   *scenarios.Scenario
	f    *scenarios.Flow
	gen  *load.Generator
	svc  map[string]*service
	hops []*hop
	// intended is each event's intended time, by sequence number.
	intended cells
	start    int64 // measured start, load.Now() timeline
	payload  []byte
	stop     chan struct{}
	pending  atomic.Int64 // events being processed at the entry or waiting for a delay
	entered  atomic.Int64 // measured events the entry finished
	overflow atomic.Int64 // events beyond maxSeq, not tracked
	clamped  atomic.Int64 // latencies beyond the histogram range
	errMu    sync.Mutex
	errs     []string
	timerMu  sync.Mutex
	timers   map[*time.Timer]struct{}
}

// service is one service of the flow.
type service struct {
	name string
	spec scenarios.FlowService
	beh  *behave.Subscriber // the entry's processing (targets: the transport's behaviour)
	out  []*hop
	mu   sync.Mutex
	rng  *rand.Rand // delays
	// done is when the service finished processing each event; sent when
	// it handed the event to its hops (after the delay).
	done, sent cells
}

// edge is one (hop, target) pair: a sink or a consumer group.
type edge struct {
	h         *hop
	to        *service
	sub       *measure.Subscriber
	sent      atomic.Int64 // measured events sent to this target
	delivered atomic.Int64 // measured events the target processed first time
}

// hop is one hop with its transport.
type hop struct {
	idx   int
	spec  scenarios.Hop
	from  *service
	edges []*edge
	mp    *measure.Point
	send  func(ev load.Event)
	mu    sync.Mutex
	lat   *hdr.Histogram // hop alone
	since *hdr.Histogram // since the first intended time
}

func (r *run) fail(format string, args ...any) {
	r.errMu.Lock()
	if len(r.errs) < 10 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
	r.errMu.Unlock()
}

// RunOne runs one flow with the scenario's load.
func RunOne(ctx context.Context, sc *scenarios.Scenario, f *scenarios.Flow, opts Options) (results.Flow, error) {
	res := results.Flow{Name: f.Name, Entry: f.Entry, Status: results.StatusComplete, Hops: []results.FlowHop{}, Routes: []results.FlowRoute{}}
	failed := func(err error) (results.Flow, error) {
		res.Status, res.Error = results.StatusFailed, err.Error()
		return res, err
	}
	gen, err := load.New(sc)
	if err != nil {
		return failed(fmt.Errorf("load: %w", err))
	}
	if sh := gen.Shard(); sh.Count > 1 {
		return failed(fmt.Errorf("flows cannot run sharded (--shard %s): a flow's services all run in this process", sh))
	}
	r := &run{sc: sc, f: f, gen: gen, svc: map[string]*service{}, stop: make(chan struct{}), payload: payloadOf(sc)}
	for _, s := range f.Services {
		r.svc[s.Name] = &service{name: s.Name, spec: s,
			beh: behave.New(scenarios.Subscriber{Name: f.Name + "/" + s.Name, Processing: s.Processing}, sc.Event.Seed),
			rng: rand.New(rand.NewPCG(sc.Event.Seed, uint64(len(r.svc))+1))}
	}
	for i, hs := range f.Hops {
		h := &hop{idx: i, spec: hs, from: r.svc[hs.From], lat: results.NewHistogram(), since: results.NewHistogram()}
		h.mp = measure.NewPoint(System, gen, hs.To, sc.Event.Keys)
		for j, t := range hs.To {
			h.edges = append(h.edges, &edge{h: h, to: r.svc[t], sub: h.mp.Subs[j]})
		}
		h.from.out = append(h.from.out, h)
		r.hops = append(r.hops, h)
	}

	tr, err := startTransports(ctx, r, opts)
	if tr != nil {
		defer tr.close()
	}
	if err != nil {
		return failed(err)
	}
	res.Notes = append(res.Notes, tr.notes...)

	start := gen.StartAt(load.Now() + int64(runners.StartDelay))
	r.start = start + int64(gen.Schedule().Warmup())
	for _, h := range r.hops {
		h.mp.SetMeasuredStart(r.start)
	}
	for _, fn := range tr.setStart {
		fn(r.start)
	}
	for _, s := range r.svc {
		s.beh.SetStart(r.start)
	}
	if opts.OnStart != nil {
		opts.OnStart(f.Name, r.start)
	}
	gen.Run(ctx, start, r.enter)
	interrupted := r.drain(ctx)
	close(r.stop)
	r.stopTimers()
	tr.close()

	r.results(&res)
	if n := r.clamped.Load(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d latencies were longer than %v and recorded as %v (the histograms' range)", n, time.Duration(results.HistMax)*time.Microsecond, time.Duration(results.HistMax)*time.Microsecond))
	}
	if n := r.overflow.Load(); n > 0 {
		r.fail("%d events beyond the %d a flow tracks were not accounted", n, maxSeq)
	}
	if len(r.errs) > 0 {
		return failed(errors.New(strings.Join(r.errs, "; ")))
	}
	if err := tr.err(); err != nil {
		return failed(err)
	}
	if interrupted {
		res.Status = results.StatusInterrupted
		return res, ctx.Err()
	}
	return res, nil
}

// payloadOf is the body every forwarded event carries: JSON of the
// scenario's mean event size (the generated payloads are the entry's
// input; what travels between services is the same size).
func payloadOf(sc *scenarios.Scenario) []byte {
	n := max(int(sc.Event.Size.MeanValue()), 32)
	b := make([]byte, n)
	copy(b, `{"type":"flow","pad":"`)
	for i := 22; i < n-2; i++ {
		b[i] = 'x'
	}
	copy(b[n-2:], `"}`)
	return b
}

// seqOf maps an event id to its sequence number.
func (r *run) seqOf(id uint64) (uint64, bool) {
	base := r.gen.IDBase()
	if id < base || id-base >= maxSeq {
		if id >= base {
			r.overflow.Add(1)
		}
		return 0, false
	}
	return id - base, true
}

// record adds a latency in nanoseconds to h in microseconds; a latency
// beyond the histograms' range (results.HistMax) is recorded at the top of
// it and counted, so the run says so.
func (r *run) record(h *hdr.Histogram, ns int64) {
	us := max(1, ns/1000)
	if us > results.HistMax {
		us = results.HistMax
		r.clamped.Add(1)
	}
	_ = h.RecordValue(us)
}

// enter receives a generated event at the entry service. It never blocks
// the pacer: the entry's processing runs on its own goroutine.
func (r *run) enter(ev load.Event) {
	seq, ok := r.seqOf(ev.ID)
	if !ok {
		return
	}
	r.intended.set(seq, ev.Intended)
	entry := r.svc[r.f.Entry]
	r.pending.Add(1)
	go func() {
		defer r.pending.Add(-1)
		if !behave.Sleep(entry.beh.Processing(), r.stop) {
			return
		}
		done := load.Now()
		entry.done.set(seq, done)
		if ev.Intended >= r.start {
			r.entered.Add(1)
		}
		r.afterProcessing(entry, ev.ID, seq, ev.Key, ev.Intended)
	}()
}

// processed is called by a transport when target finished processing the
// event for the first time (the transport deduplicates by id).
func (r *run) processed(e *edge, id uint64, key int, intended, done int64) {
	seq, ok := r.seqOf(id)
	if !ok {
		return
	}
	if !e.to.done.setOnce(seq, done) {
		return // the service already had it (a duplicate the transport could not see)
	}
	measured := intended >= r.start
	if measured {
		e.delivered.Add(1)
		h := e.h
		from := h.from.sent.get(seq)
		h.mu.Lock()
		if from > 0 {
			r.record(h.lat, done-from)
		}
		r.record(h.since, done-intended)
		h.mu.Unlock()
	}
	r.afterProcessing(e.to, id, seq, key, intended)
}

// afterProcessing waits for the service's delay (without holding the
// transport's worker), then sends the event on the service's hops.
func (r *run) afterProcessing(s *service, id, seq uint64, key int, intended int64) {
	if len(s.out) == 0 {
		return
	}
	s.mu.Lock()
	d := time.Duration(s.spec.Delay.Sample(s.rng))
	s.mu.Unlock()
	if d <= 0 {
		r.send(s, id, seq, key, intended)
		return
	}
	r.pending.Add(1)
	r.timerMu.Lock()
	defer r.timerMu.Unlock()
	if r.timers == nil {
		r.timers = map[*time.Timer]struct{}{}
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer r.pending.Add(-1)
		r.timerMu.Lock()
		_, live := r.timers[t]
		delete(r.timers, t)
		r.timerMu.Unlock()
		if live {
			r.send(s, id, seq, key, intended)
		}
	})
	r.timers[t] = struct{}{}
}

// stopTimers cancels the delays still waiting (the run is over: those
// events never reach their next hop and count as lost there).
func (r *run) stopTimers() {
	r.timerMu.Lock()
	for t := range r.timers {
		if t.Stop() {
			r.pending.Add(-1)
		}
		delete(r.timers, t)
	}
	r.timerMu.Unlock()
}

func (r *run) send(s *service, id, seq uint64, key int, intended int64) {
	s.sent.set(seq, load.Now())
	ev := load.Event{ID: id, Seq: seq, Key: key, Intended: intended, Warmup: intended < r.start, Payload: r.payload}
	for _, h := range s.out {
		if !ev.Warmup {
			for _, e := range h.edges {
				e.sent.Add(1)
			}
		}
		h.send(ev)
	}
}

// drain waits after the load until every measured event is accounted
// (processed by every target it was sent to, or dead-lettered), at most
// load.drain (5 s after an interruption), as every point's drain does
// (runners.Drain).
func (r *run) drain(ctx context.Context) (interrupted bool) {
	return runners.Drain(ctx, r.sc.Load.Drain.D(), runners.DefaultInterruptDrain, r.settled)
}

func (r *run) settled() bool {
	if r.pending.Load() > 0 || r.entered.Load() < r.gen.Measured() {
		return false
	}
	for _, h := range r.hops {
		for _, e := range h.edges {
			if e.delivered.Load()+e.sub.DeadLettered() < e.sent.Load() {
				return false
			}
		}
	}
	return true
}

// results builds the flow's results from the recorded times.
func (r *run) results(res *results.Flow) {
	res.Events = r.gen.Measured()
	for _, h := range r.hops {
		fh := results.FlowHop{Name: h.spec.Name, From: h.spec.From, To: slices.Clone(h.spec.To), Via: h.spec.Via}
		for _, e := range h.edges {
			fh.Sent += e.sent.Load()
			fh.Delivered += e.delivered.Load()
			fh.Duplicates += e.sub.Duplicates()
			fh.DeadLettered += e.sub.DeadLettered()
			fh.Retries += e.sub.RetryCount()
		}
		fh.Lost = fh.Sent - fh.Delivered
		var err error
		if fh.Latency, err = results.NewLatency(h.lat); err != nil {
			r.fail("hop %s: %v", h.spec.Name, err)
		}
		if fh.SinceIntended, err = results.NewLatency(h.since); err != nil {
			r.fail("hop %s: %v", h.spec.Name, err)
		}
		res.Hops = append(res.Hops, fh)
	}
	res.Whole = r.route(scenarios.Route{Name: r.f.Name, To: r.f.Leaves()})
	for _, rt := range r.f.ResolvedRoutes() {
		res.Routes = append(res.Routes, r.route(rt))
	}
}

// route computes one route's end-to-end figures over the measured events:
// an event completes the route when every end service processed it; its
// e2e is the last end's completion minus its first intended time, and that
// end's path is the event's critical path.
func (r *run) route(rt scenarios.Route) results.FlowRoute {
	out := results.FlowRoute{Name: rt.Name, To: slices.Clone(rt.To), Hops: []string{}, CriticalPath: []string{}}
	onRoute := map[int]bool{}
	for _, end := range rt.To {
		for _, i := range r.f.PathTo(end) {
			onRoute[i] = true
		}
	}
	for i, h := range r.f.Hops {
		if onRoute[i] {
			out.Hops = append(out.Hops, h.Name)
		}
	}
	ends := make([]*service, len(rt.To))
	for i, n := range rt.To {
		ends[i] = r.svc[n]
	}
	h := results.NewHistogram()
	last := make([]int64, len(ends))
	var events int64
	n := uint64(min(r.gen.Sent(), maxSeq))
	for seq := uint64(0); seq < n; seq++ {
		in := r.intended.get(seq)
		if in == 0 || in < r.start {
			continue // warm-up (or never emitted)
		}
		events++
		var worst int64
		crit := -1
		for i, e := range ends {
			d := e.done.get(seq)
			if d == 0 {
				crit = -2
				break
			}
			if d > worst {
				worst, crit = d, i
			}
		}
		if crit < 0 {
			out.Lost++
			continue
		}
		out.Completed++
		last[crit]++
		r.record(h, worst-in)
	}
	// Events the generator counted as measured but never handed over
	// (interrupted) are lost too, so completed + lost = events.
	if m := r.gen.Measured(); m > events {
		out.Lost += m - events
	}
	if lat, err := results.NewLatency(h); err == nil {
		out.E2E = lat
	} else {
		r.fail("route %s: %v", rt.Name, err)
	}
	best := -1
	for i := range last {
		if best < 0 || last[i] > last[best] {
			best = i
		}
	}
	if best >= 0 && out.Completed > 0 {
		out.CriticalEnd = rt.To[best]
		for _, i := range r.f.PathTo(rt.To[best]) {
			out.CriticalPath = append(out.CriticalPath, r.f.Hops[i].Name)
		}
		out.CriticalShare = float64(last[best]) / float64(out.Completed)
	}
	return out
}
