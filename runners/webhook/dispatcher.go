package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/internal/deadline"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/valyala/fasthttp"
)

// Dead-letter reasons.
const (
	ReasonExhausted = "retries exhausted"
	ReasonQueueFull = "queue full"
	ReasonDisabled  = "endpoint disabled (410)"
)

// causeOf maps a dead-letter reason to the loss cause results report.
var causeOf = map[string]measure.Cause{
	ReasonExhausted: measure.CauseRetriesExhausted,
	ReasonQueueFull: measure.CauseQueueOverflow,
	ReasonDisabled:  measure.CauseEndpointGone,
}

// Target is one endpoint the dispatcher delivers every event to.
type Target struct {
	// Name is the subscriber name (dead letters, logs).
	Name string
	// URL is the endpoint, http:// or https://.
	URL string
	// Sub receives the delivery-side measurements (attempt latency,
	// attempts per delivery, errors, retries, dead letters, disabled): the
	// point's *measure.Subscriber, or in a sender child process the frames
	// it reports to its parent (child.go).
	Sub SenderRecorder
	// Retry replaces the system's retry policy for this target
	// (subscribers[].retry); nil keeps it.
	Retry *scenarios.Retry
	// JoinAt is when the subscription starts, from the measured start
	// (subscribers[].join_at): earlier events are never sent to it.
	JoinAt time.Duration
	// Headers are added to every attempt (a url subscriber's headers).
	Headers map[string]string
	// TLS replaces the client TLS configuration for an https URL (a url
	// subscriber's options); nil trusts DispatcherConfig.RootCAs.
	TLS *tls.Config
	// KeepAlive overrides the system's connections setting; nil keeps it.
	KeepAlive *bool
	// Acks makes a 2xx answer the delivery, recorded on Sub (a receiver
	// that is not an in-process sink): e2e is intended -> 2xx received.
	Acks bool
	// Phases, when set, receives the connect / TLS / time-to-first-byte
	// split of every measured attempt that got an answer.
	Phases *Phases
	// Dial opens the TCP connection (nil: net.DialTimeout); an emulated
	// network link plugs in here (runners/netem's FastHTTPDialTimeout), and
	// the connect time then includes the link's round trip.
	Dial func(addr string, timeout time.Duration) (net.Conn, error)
}

// SenderRecorder is what the dispatcher records about one endpoint's
// deliveries. *measure.Subscriber implements it.
type SenderRecorder interface {
	Attempt(d time.Duration)
	Attempts(n int)
	Error(c measure.ErrClass)
	Retry()
	DeadLetterCause(id uint64, cause measure.Cause)
	NotSubscribed(id uint64)
	Disable()
	Delivered(id uint64, key int, intended, done int64)
}

var _ SenderRecorder = (*measure.Subscriber)(nil)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Webhook is the system block; Resolve fills zero values.
	Webhook Config
	// Secret signs every attempt (Standard Webhooks); nil sends unsigned.
	Secret *Secret
	// RootCAs are trusted for https targets (a sink's Cert pool); nil uses
	// the system roots.
	RootCAs *x509.CertPool
	// DeadLetters receives one JSON line per dead-lettered measured event.
	DeadLetters *runners.LineWriter
	// AddBytes counts bytes written to the network (TLS records included).
	AddBytes func(n int)
	// OnDone, when set, is called when the sender is finished with the
	// delivery of id to target ep (its index in the targets): answered 2xx
	// or dead-lettered, warm-up included. A sender child process reports it
	// to its parent, which then knows what the child still holds (child.go).
	OnDone func(ep int, id uint64)
	// OnDeadLetter, when set, replaces recording a measured dead letter on
	// the target's Sub and writing its line to DeadLetters: a sender child
	// process sends both to its parent in one frame, so they cannot be
	// separated by a crash (child.go).
	OnDeadLetter func(ep int, id uint64, cause measure.Cause, line []byte)
	// Note, when set, receives the notes of the point (inflight.go).
	Note func(format string, args ...any)
}

// Dispatcher fans events out to every target over HTTP: a bounded queue
// and an in-flight limit per endpoint, a per-attempt timeout, retries with
// backoff and jitter on a timer heap (no goroutine per retry), Retry-After,
// 410 disabling and dead-lettering. Dispatch never blocks the pacer.
type Dispatcher struct {
	cfg         Config
	secret      *Secret
	deadLetters *runners.LineWriter
	addBytes    func(int)
	onDone      func(ep int, id uint64)
	onDead      func(ep int, id uint64, cause measure.Cause, line []byte)
	timeout     time.Duration
	maxAttempts int
	honourRA    bool
	perDelivery bool

	eps []*endpoint

	measuredStart atomic.Int64
	closed        atomic.Bool
	inFlight      atomic.Int64
	queued        atomic.Int64
	dials         atomic.Int64
	acked         atomic.Int64
	bytes         atomic.Int64
	wg            sync.WaitGroup

	retry retryQueue
	slots slots // max_in_flight_total (inflight.go)
	note  func(format string, args ...any)

	workerPool sync.Pool
}

// endpoint is one target's queue, workers and HTTP client.
type endpoint struct {
	d        *Dispatcher
	name     string
	uri      []byte
	idx      int
	sub      SenderRecorder
	joinAt   int64       // ns after the measured start; 0: from the first event
	policy   retryPolicy // subscriber_retry.go
	client   *fasthttp.HostClient
	max      int
	limit    int
	disabled atomic.Bool
	// Per-target settings (Target).
	headers     [][2][]byte
	perDelivery bool
	acks        bool
	ph          *Phases
	tls         *tls.Config
	conns       connTable
	tcpDial     func(addr string, timeout time.Duration) (net.Conn, error)

	mu      sync.Mutex
	q       ring
	workers int

	lastOther atomic.Value // string: the last unclassified transport error
}

// item is one pending delivery of one event to one endpoint. Items are
// stored by value in rings and the retry heap: queueing allocates nothing.
type item struct {
	id         uint64
	intended   int64
	payload    []byte
	key        int32
	attempts   int32
	lastClass  int8 // measure.ErrClass of the last failed attempt, -1 none
	lastStatus int16
}

// NewDispatcher builds the clients for targets. Call Close when done.
func NewDispatcher(cfg DispatcherConfig, targets []Target) (*Dispatcher, error) {
	w := Resolve(&cfg.Webhook)
	if w.Connections != scenarios.ConnKeepalive && w.Connections != scenarios.ConnPerDelivery {
		return nil, fmt.Errorf("webhook dispatcher: unknown connections mode %q (want %s or %s)", w.Connections, scenarios.ConnKeepalive, scenarios.ConnPerDelivery)
	}
	switch w.Retry.Backoff {
	case scenarios.BackoffExponential, scenarios.BackoffLinear, scenarios.BackoffSchedule:
	default:
		return nil, fmt.Errorf("webhook dispatcher: unknown backoff %q (want exponential, linear or schedule)", w.Retry.Backoff)
	}
	d := &Dispatcher{
		cfg:         w,
		secret:      cfg.Secret,
		deadLetters: cfg.DeadLetters,
		addBytes:    cfg.AddBytes,
		onDone:      cfg.OnDone,
		onDead:      cfg.OnDeadLetter,
		timeout:     w.Timeout.D(),
		maxAttempts: w.Retry.MaxAttempts,
		honourRA:    w.Retry.HonourRetryAfter == nil || *w.Retry.HonourRetryAfter,
		perDelivery: w.Connections == scenarios.ConnPerDelivery,
		note:        cfg.Note,
	}
	d.slots.init(d, w.MaxInFlightTotal)
	d.workerPool.New = func() any { return newWorker() }
	for _, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil {
			return nil, fmt.Errorf("webhook target %s: bad URL %q: %w", t.Name, t.URL, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("webhook target %s: URL %q: scheme must be http or https", t.Name, t.URL)
		}
		if t.Sub == nil {
			return nil, fmt.Errorf("webhook target %s: no measure subscriber", t.Name)
		}
		host := u.Host
		if u.Port() == "" {
			if u.Scheme == "https" {
				host += ":443"
			} else {
				host += ":80"
			}
		}
		e := &endpoint{d: d, name: t.Name, uri: []byte(t.URL), idx: len(d.eps), sub: t.Sub, joinAt: int64(t.JoinAt), max: w.MaxInFlight, limit: w.QueueLimit,
			perDelivery: d.perDelivery, acks: t.Acks, ph: t.Phases, tcpDial: t.Dial}
		if t.KeepAlive != nil {
			e.perDelivery = !*t.KeepAlive
		}
		if e.policy, err = d.policyFor(t); err != nil {
			return nil, err
		}
		for k, v := range t.Headers {
			e.headers = append(e.headers, [2][]byte{[]byte(k), []byte(v)})
		}
		e.conns.init(w.MaxInFlight)
		e.client = &fasthttp.HostClient{
			Addr:               host,
			Name:               "evbench-webhook",
			IsTLS:              u.Scheme == "https",
			MaxConns:           w.MaxInFlight,
			MaxConnWaitTimeout: d.timeout,
			// No WriteTimeout: the per-attempt deadline already bounds the
			// write, and a second one costs a clock read per request.
			MaxIdleConnDuration: 30 * time.Second,
			MaxResponseBodySize: 1 << 20,
			DialTimeout:         e.dial,
		}
		if e.client.IsTLS {
			// No session cache: a per-delivery connection pays a full
			// handshake, as a sender talking to many distinct hosts does.
			// The handshake is done (and timed) in e.dial.
			e.tls = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
			if t.TLS != nil {
				e.tls = t.TLS.Clone()
			}
			if e.tls.ServerName == "" {
				e.tls.ServerName = u.Hostname()
			}
			e.client.TLSConfig = e.tls
		}
		d.eps = append(d.eps, e)
	}
	d.retry.init(d)
	return d, nil
}

// SetMeasuredStart sets the start of the measured period (load.Now()
// timeline). Events intended before it are warm-up: delivered like any
// other, but their attempts, errors, retries and dead letters are not
// recorded, exactly as their latencies are not.
func (d *Dispatcher) SetMeasuredStart(t int64) { d.measuredStart.Store(t) }

// InFlight is the number of HTTP attempts in progress.
func (d *Dispatcher) InFlight() int64 { return d.inFlight.Load() }

// QueueDepth is the number of deliveries queued across endpoints.
func (d *Dispatcher) QueueDepth() int64 { return d.queued.Load() }

// RetriesWaiting is the number of deliveries waiting for a retry timer.
func (d *Dispatcher) RetriesWaiting() int64 { return d.retry.size() }

// Acked is the number of deliveries answered 2xx so far (warm-up
// included): the sender's view of throughput.
func (d *Dispatcher) Acked() int64 { return d.acked.Load() }

// OpenConns is the number of connections open now across endpoints
// (keep-alive connections idle in the pool included).
func (d *Dispatcher) OpenConns() int64 {
	var n int64
	for _, e := range d.eps {
		n += int64(e.client.ConnsCount())
	}
	return n
}

// Dials is the number of connections opened so far.
func (d *Dispatcher) Dials() int64 { return d.dials.Load() }

// BytesSent is the number of bytes written to connections so far.
func (d *Dispatcher) BytesSent() int64 { return d.bytes.Load() }

// Dispatch fans ev out to every endpoint's queue. It never blocks on the
// network: a full queue dead-letters the delivery instead.
func (d *Dispatcher) Dispatch(ev load.Event) {
	if d.closed.Load() {
		return
	}
	d.slots.wait() // inflight.go: back-pressure at max_in_flight_total
	it := item{id: ev.ID, intended: ev.Intended, payload: ev.Payload, key: int32(ev.Key), lastClass: -1}
	for _, e := range d.eps {
		if e.joinAt > 0 {
			// A late subscriber: events from before its registration are
			// never sent to it, as no sender delivers to a subscription that
			// did not exist yet (warm-up events included).
			if start := d.measuredStart.Load(); it.intended < start+e.joinAt {
				if d.measured(&it) {
					e.sub.NotSubscribed(it.id)
				}
				e.finished(it.id)
				continue
			}
		}
		e.enqueue(it, false)
	}
}

// Requeue queues ev for the endpoint with index ep again, outside the
// queue limit: a delivery a crashed sender process had accepted, recovered
// from its outbox (child.go).
func (d *Dispatcher) Requeue(ep int, ev load.Event) {
	if d.closed.Load() || ep < 0 || ep >= len(d.eps) {
		return
	}
	d.eps[ep].enqueue(item{id: ev.ID, intended: ev.Intended, payload: ev.Payload, key: int32(ev.Key), lastClass: -1}, true)
}

// Stop makes the dispatcher take nothing more: Dispatch becomes a no-op,
// no new attempt or retry starts, and failures of attempts still running
// are no longer counted (they are caused by the shutdown). It does not
// wait; Close does.
func (d *Dispatcher) Stop() {
	if d.closed.Swap(true) {
		return
	}
	d.retry.stop()
	d.slots.wake()
}

// Close stops the dispatcher: no new attempts or retries start, pending
// retries are abandoned (they count as lost), and Close waits, bounded by
// the per-attempt timeout plus a second, for attempts in progress.
func (d *Dispatcher) Close() error {
	d.Stop()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	var err error
	t := time.NewTimer(d.timeout + time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		err = errors.New("webhook dispatcher: attempts still running after close")
	}
	for _, e := range d.eps {
		e.client.CloseIdleConnections()
	}
	if n := d.capNote(); n != "" && d.note != nil {
		d.note("%s", n)
	}
	return err
}

func (d *Dispatcher) measured(it *item) bool { return it.intended >= d.measuredStart.Load() }

// enqueue adds a delivery; retry deliveries were admitted before and are
// not subject to the queue limit.
func (e *endpoint) enqueue(it item, retry bool) {
	d := e.d
	e.mu.Lock()
	if d.closed.Load() {
		e.mu.Unlock()
		return
	}
	if e.disabled.Load() {
		e.mu.Unlock()
		d.deadLetter(e, &it, ReasonDisabled)
		return
	}
	if !retry && e.q.len() >= e.limit {
		e.mu.Unlock()
		d.deadLetter(e, &it, ReasonQueueFull)
		return
	}
	e.q.push(it)
	d.queued.Add(1)
	spawn := e.workers < e.max && d.slots.take(e)
	if spawn {
		e.workers++
	}
	e.mu.Unlock()
	if spawn {
		d.wg.Add(1)
		go e.work()
	}
}

// work runs attempts until the queue is empty. Workers are started on
// demand up to max_in_flight, so an idle endpoint holds no goroutines.
func (e *endpoint) work() {
	d := e.d
	defer d.wg.Done()
	w := d.workerPool.Get().(*worker)
	defer d.workerPool.Put(w)
	did := false
	for {
		e.mu.Lock()
		if d.closed.Load() || e.q.len() == 0 {
			e.workers--
			e.mu.Unlock()
			d.slots.release()
			return
		}
		if did && d.slots.contended() {
			// Others wait for a slot: hand this one over, get back in line
			// (after one attempt at least, so a slot always does work).
			e.workers--
			e.mu.Unlock()
			d.slots.yield(e)
			d.slots.release()
			return
		}
		it := e.q.pop()
		e.mu.Unlock()
		did = true
		d.queued.Add(-1)
		d.inFlight.Add(1)
		e.attempt(w, &it)
		d.inFlight.Add(-1)
	}
}

// disable handles a 410: the endpoint takes nothing more and everything
// queued or waiting for a retry for it is dead-lettered at once.
func (e *endpoint) disable() {
	if e.disabled.Swap(true) {
		return
	}
	e.sub.Disable()
	e.mu.Lock()
	var flushed []item
	for e.q.len() > 0 {
		flushed = append(flushed, e.q.pop())
	}
	e.mu.Unlock()
	e.d.queued.Add(-int64(len(flushed)))
	flushed = e.d.retry.removeFor(e, flushed)
	for i := range flushed {
		e.d.deadLetter(e, &flushed[i], ReasonDisabled)
	}
}

// worker holds one goroutine's reusable request, response and scratch
// buffers, so an attempt allocates nothing in steady state.
type worker struct {
	ep   *endpoint // the endpoint req is set up for
	req  *fasthttp.Request
	resp *fasthttp.Response
	id   []byte
	ts   []byte
	sig  []byte
	intd []byte
	key  []byte
}

func newWorker() *worker {
	return &worker{req: new(fasthttp.Request), resp: new(fasthttp.Response),
		id: make([]byte, 0, 32), ts: make([]byte, 0, 20), sig: make([]byte, 0, 64), intd: make([]byte, 0, 24), key: make([]byte, 0, 24)}
}

var (
	methodPost  = []byte("POST")
	contentJSON = []byte("application/json")
)

// attempt makes one HTTP attempt for it and decides what follows: done,
// retry later, or dead letter.
func (e *endpoint) attempt(w *worker, it *item) {
	d := e.d
	if e.disabled.Load() {
		d.deadLetter(e, it, ReasonDisabled)
		return
	}
	it.attempts++
	req, resp := w.req, w.resp
	if w.ep != e {
		// The request keeps its URI, method and fixed headers between
		// attempts to the same endpoint; only per-attempt values change.
		req.Reset()
		req.SetRequestURIBytes(e.uri)
		req.Header.SetMethodBytes(methodPost)
		req.Header.SetContentTypeBytes(contentJSON)
		if e.perDelivery {
			req.SetConnectionClose()
		}
		for _, h := range e.headers {
			req.Header.SetBytesKV(h[0], h[1])
		}
		w.ep = e
	}
	w.id = AppendMessageID(w.id[:0], it.id)
	req.Header.SetCanonical(canonID, w.id)
	t0 := time.Now()
	ts := t0.Unix()
	w.ts = strconv.AppendInt(w.ts[:0], ts, 10)
	req.Header.SetCanonical(canonTimestamp, w.ts)
	if d.secret != nil {
		w.sig = d.secret.AppendSignature(w.sig[:0], w.id, ts, it.payload)
		req.Header.SetCanonical(canonSignature, w.sig)
	}
	w.intd = strconv.AppendInt(w.intd[:0], it.intended, 10)
	req.Header.SetCanonical(canonIntended, w.intd)
	w.key = strconv.AppendInt(append(w.key[:0], "key-"...), int64(it.key), 10)
	req.Header.SetCanonical(canonKey, w.key)
	req.SetBodyRaw(it.payload)

	err := e.client.DoTimeout(req, resp, d.timeout)
	// Attempt latency includes signing, as a real sender's would.
	lat := time.Since(t0)
	if err != nil && d.closed.Load() {
		return // shutting down: the failure is ours, not the endpoint's
	}
	measured := d.measured(it)
	if measured {
		e.sub.Attempt(lat)
	}
	status := 0
	if err == nil {
		e.phases(resp.LocalAddr(), measured)
		status = resp.StatusCode()
		if status >= 200 && status < 300 {
			d.acked.Add(1)
			if e.acks {
				e.sub.Delivered(it.id, int(it.key), it.intended, load.Now())
			}
			e.finished(it.id)
			if measured {
				e.sub.Attempts(int(it.attempts))
			}
			return
		}
	}
	var class measure.ErrClass
	if err != nil {
		w.ep = nil // rebuild the request from scratch after a transport error
		class = classify(err)
		if class == measure.ErrOther {
			e.lastOther.Store(err.Error())
		}
	} else {
		class = statusClass(status)
	}
	it.lastClass, it.lastStatus = int8(class), int16(status)
	if measured {
		e.sub.Error(class)
	}
	if status == fasthttp.StatusGone {
		d.deadLetter(e, it, ReasonDisabled)
		e.disable()
		return
	}
	if int(it.attempts) >= e.policy.maxAttempts {
		d.deadLetter(e, it, ReasonExhausted)
		return
	}
	if d.closed.Load() {
		return
	}
	delay := jitter(Backoff(e.policy.retry, int(it.attempts)), e.policy.retry.Jitter, rand.Float64())
	if status != 0 && e.policy.honourRA {
		if ra, ok := ParseRetryAfter(resp.Header.PeekCanonical(canonRetryAft), time.Now()); ok {
			delay = ra
		}
	}
	if measured {
		e.sub.Retry()
	}
	d.retry.add(load.Now()+int64(delay), e, *it)
}

// finished tells OnDone that the sender is done with the delivery of id to
// e.
func (e *endpoint) finished(id uint64) {
	if e.d.onDone != nil {
		e.d.onDone(e.idx, id)
	}
}

// statusClass maps a non-2xx status to an error class.
func statusClass(status int) measure.ErrClass {
	switch {
	case status >= 400 && status < 500:
		return measure.ErrHTTP4xx
	case status >= 500 && status < 600:
		return measure.ErrHTTP5xx
	default:
		return measure.ErrOther
	}
}

// classify maps a transport error to an error class. "refused" covers every
// way an endpoint can be unreachable: connection refused, reset, or closed
// before the first response byte.
func classify(err error) measure.ErrClass {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, fasthttp.ErrTLSHandshakeTimeout), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, fasthttp.ErrNoFreeConns):
		return measure.ErrTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return measure.ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return measure.ErrRefused
	default:
		return measure.ErrOther
	}
}

// lastError renders the last failure of it for a dead letter.
func (e *endpoint) lastError(it *item) string {
	switch {
	case it.lastStatus != 0:
		return "HTTP " + strconv.Itoa(int(it.lastStatus))
	case it.lastClass < 0:
		return ""
	}
	switch measure.ErrClass(it.lastClass) {
	case measure.ErrTimeout:
		return "timeout"
	case measure.ErrRefused:
		return "connection refused"
	default:
		if s, ok := e.lastOther.Load().(string); ok {
			return s
		}
		return "transport error"
	}
}

// deadLetter is one JSON line of dead-letters.jsonl.
type deadLetter struct {
	System     string `json:"system"`
	ID         uint64 `json:"id"`
	WebhookID  string `json:"webhook_id"`
	Subscriber string `json:"subscriber"`
	Attempts   int    `json:"attempts"`
	Reason     string `json:"reason"`
	LastError  string `json:"last_error"`
	Intended   int64  `json:"intended_unix_ns"`
}

// deadLetter gives up on a measured delivery: counted on the subscriber
// and written as one line. Warm-up deliveries are dropped silently, as
// everything else about warm-up is.
func (d *Dispatcher) deadLetter(e *endpoint, it *item, reason string) {
	// Finished after the dead letter is recorded: a sender child reports
	// both in order, so a crash between them never hides a dead letter.
	defer e.finished(it.id)
	if !d.measured(it) {
		return
	}
	if d.deadLetters == nil && d.onDead == nil {
		e.sub.DeadLetterCause(it.id, causeOf[reason])
		return
	}
	last := e.lastError(it)
	if last == "" {
		last = reason
	}
	b, err := json.Marshal(deadLetter{System: "webhook", ID: it.id, WebhookID: string(AppendMessageID(nil, it.id)),
		Subscriber: e.name, Attempts: int(it.attempts), Reason: reason, LastError: last, Intended: it.intended})
	if err != nil {
		// Unreachable for this struct (strings and integers only); should it
		// ever happen, the line is missing and the runner's check of
		// lines written against dead_lettered reports it.
		b = nil
	}
	if d.onDead != nil {
		d.onDead(e.idx, it.id, causeOf[reason], b)
		return
	}
	e.sub.DeadLetterCause(it.id, causeOf[reason])
	if b == nil {
		return
	}
	// WriteLine only queues the line (the pacer may be the caller, on a
	// full queue): a full buffer or a failed write drops it, counted by the
	// writer and reported on the point by the runner.
	_ = d.deadLetters.WriteLine(b)
}

type countingConn struct {
	net.Conn
	d *Dispatcher
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.d.bytes.Add(int64(n))
		if c.d.addBytes != nil {
			c.d.addBytes(n)
		}
	}
	return n, err
}

// ring is a growable FIFO of items.
type ring struct {
	buf        []item
	head, size int
}

func (r *ring) len() int { return r.size }

func (r *ring) push(it item) {
	if r.size == len(r.buf) {
		n := 2 * len(r.buf)
		if n == 0 {
			n = 64
		}
		nb := make([]item, n)
		for i := 0; i < r.size; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = it
	r.size++
}

func (r *ring) pop() item {
	it := r.buf[r.head]
	r.buf[r.head] = item{}
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return it
}

// retryQueue holds deliveries waiting for their retry time, served by one
// goroutine and one timer.
type retryQueue struct {
	d     *Dispatcher
	mu    sync.Mutex
	h     deadline.Heap[retryEntry]
	n     atomic.Int64
	wake  chan struct{}
	done  chan struct{}
	ended chan struct{}
}

type retryEntry struct {
	e  *endpoint
	it item
}

func (q *retryQueue) init(d *Dispatcher) {
	q.d = d
	q.wake = make(chan struct{}, 1)
	q.done = make(chan struct{})
	q.ended = make(chan struct{})
	go q.loop()
}

func (q *retryQueue) size() int64 { return q.n.Load() }

func (q *retryQueue) add(due int64, e *endpoint, it item) {
	q.mu.Lock()
	first := q.h.Push(due, retryEntry{e: e, it: it})
	q.mu.Unlock()
	q.n.Add(1)
	if first {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// popDue removes and returns the entries due at now (appended to out) and
// the time until the next one.
func (q *retryQueue) popDue(now int64, out []retryEntry) ([]retryEntry, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out = q.h.PopDue(now, out)
	next, ok := q.h.Next()
	if !ok {
		return out, time.Hour
	}
	return out, time.Duration(next - now)
}

// removeFor takes every entry of endpoint e out of the heap, appending
// the items to out.
func (q *retryQueue) removeFor(e *endpoint, out []item) []item {
	q.mu.Lock()
	removed := q.h.Remove(func(r retryEntry) bool { return r.e == e }, nil)
	q.mu.Unlock()
	for _, r := range removed {
		out = append(out, r.it)
	}
	q.n.Add(-int64(len(removed)))
	return out
}

func (q *retryQueue) loop() {
	defer close(q.ended)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var due []retryEntry
	for {
		var wait time.Duration
		due, wait = q.popDue(load.Now(), due[:0])
		for i := range due {
			q.n.Add(-1)
			due[i].e.enqueue(due[i].it, true)
			due[i] = retryEntry{}
		}
		t.Reset(wait)
		select {
		case <-q.done:
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

func (q *retryQueue) stop() {
	close(q.done)
	<-q.ended
}
