package webhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/timer"
	"github.com/evbench/evbench/scenarios"
	"github.com/valyala/fasthttp"
)

// evbench headers that travel with every delivery next to the Standard
// Webhooks ones: the event's intended time (Unix ns on the load.Now
// timeline) so the receiver can measure end-to-end latency from the
// intended time, and its key.
const (
	HeaderIntended = "x-evbench-intended"
	HeaderKey      = "x-evbench-key"
)

// Canonical (fasthttp-normalised) header names, used for allocation-free
// lookups and sets.
var (
	canonID        = []byte("Webhook-Id")
	canonTimestamp = []byte("Webhook-Timestamp")
	canonSignature = []byte("Webhook-Signature")
	canonIntended  = []byte("X-Evbench-Intended")
	canonKey       = []byte("X-Evbench-Key")
	canonRetryAft  = []byte("Retry-After")
)

// SinkConfig configures one sink.
type SinkConfig struct {
	// Name identifies the subscriber (logs, stats).
	Name string
	// Addr is the listen address; default "127.0.0.1:0" (an ephemeral port).
	Addr string
	// TLS serves HTTPS with Cert.
	TLS bool
	// Cert is the TLS certificate; one is generated when TLS is set and
	// Cert is nil (Sink.Cert returns it, for the sender to trust).
	Cert *Cert
	// Secret, when set, makes the sink verify Standard Webhooks signatures:
	// a missing or bad signature is answered 401 and counted as a
	// signature failure. Nil accepts unsigned requests.
	Secret *Secret
	// Tolerance is the accepted webhook-timestamp skew (default 5 min).
	Tolerance time.Duration
	// Ack is after-processing or before-processing; empty takes the
	// behaviour's spec (default after-processing).
	Ack string
	// Behaviour simulates processing time and faults; nil processes
	// instantly and never fails.
	Behaviour *behave.Subscriber
	// Recorder receives the accounting; nil uses a fresh MemRecorder.
	Recorder Recorder
	// MaxBodyBytes is the largest request body accepted; a larger one is
	// answered 413 without being read (Content-Length) or as soon as the
	// limit is passed (chunked). Bodies are never held in memory: they are
	// streamed through the signature check. Default DefaultSinkMaxBody.
	MaxBodyBytes int
	// HeaderTimeout is the time allowed to receive a request's headers,
	// from the connection's opening (or a kept-alive request's first byte);
	// BodyTimeout the time to receive the body after them. A request that
	// takes longer is answered 408 and its connection closed. Defaults
	// DefaultSinkHeaderTimeout and DefaultSinkBodyTimeout.
	HeaderTimeout, BodyTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle this long (default
	// DefaultSinkIdleTimeout); WriteTimeout bounds writing a response
	// (default DefaultSinkWriteTimeout).
	IdleTimeout, WriteTimeout time.Duration
	// MaxConns caps concurrent connections; one more is answered 503 and
	// closed. 0 leaves fasthttp's own cap (262,144): the runner's in-process
	// sinks are only reached by its own dispatcher, whose max_in_flight
	// bounds them; `evbench sink` sets a cap (--max-conns).
	MaxConns int
	// Dedup bounds the sink's memory of foreign webhook-ids (Window; the
	// Recorder keeps evbench's own ids). Zero values take the defaults.
	Dedup DedupLimits
	// Logf prints diagnostics; may be nil.
	Logf func(format string, args ...any)
}

// Sink limits' defaults; see SinkConfig.
const (
	// DefaultSinkMaxBody is the largest event a scenario may send
	// (scenarios.MaxEventSize), so any valid run fits.
	DefaultSinkMaxBody       = int(scenarios.MaxEventSize)
	DefaultSinkHeaderTimeout = 10 * time.Second
	DefaultSinkBodyTimeout   = 30 * time.Second
	DefaultSinkIdleTimeout   = 2 * time.Minute
	DefaultSinkWriteTimeout  = 10 * time.Second
)

// SinkStats are a sink's own counters, independent of the Recorder.
type SinkStats struct {
	// Requests is every request the handler saw.
	Requests int64
	// Processed is requests whose processing finished (delivered).
	Processed int64
	// Duplicates is repeats answered 200 without processing.
	Duplicates int64
	// SignatureFailures is requests answered 401.
	SignatureFailures int64
	// BadRequests is requests without a webhook-id (400).
	BadRequests int64
	// NotFound is requests for a path other than the sink's (404), and
	// WrongMethod requests on its path with a method other than POST (405).
	NotFound, WrongMethod int64
	// TooLarge is requests whose body passed MaxBodyBytes (413).
	TooLarge int64
	// Timeouts is requests whose headers or body did not arrive in time (408).
	Timeouts int64
	// LedgerReads is GET .../ledger requests (see ReadLedger).
	LedgerReads int64
	// Foreign is processed messages whose webhook-id is not an evbench id
	// (deduplicated by the sink's window, see DedupLimits).
	Foreign int64
	// DedupEvictions is ids forgotten by the sink's foreign-id window (and
	// by the recorder's, when it reports them) because a bound was reached.
	DedupEvictions int64
	// Injected is requests answered with an errors fault's status.
	Injected int64
	// Paused is requests held by a pause fault.
	Paused int64
	// Hung is requests never answered because of a hang fault.
	Hung int64
	// Dropped is requests whose connection was closed by a down fault.
	Dropped int64
	// Connections is connections accepted.
	Connections int64
	// Aborted is processing cut short by Close.
	Aborted int64
}

// Sink is an in-process webhook receiver: a fasthttp server on one port
// that verifies signatures, deduplicates by webhook-id, simulates the
// subscriber's processing time, ack mode and faults, and records what it
// processed. It is usable on its own (an `evbench sink` command), not only
// from the runner.
type Sink struct {
	cfg      SinkConfig
	rec      Recorder
	beh      *behave.Subscriber
	ackFirst bool
	srv      *fasthttp.Server
	tlsCfg   *tls.Config
	cert     *Cert
	addr     string // resolved host:port, kept across down windows

	mu      sync.Mutex
	ln      net.Listener
	conns   map[*trackedConn]struct{}
	down    bool
	closed  bool
	serveWG sync.WaitGroup
	ctlWG   sync.WaitGroup
	started bool
	ctlOnce sync.Once

	done chan struct{} // closed by Close: aborts waits
	gate gate

	requests, processed, duplicates, sigFail, badReq atomic.Int64
	injected, paused, hung, dropped, conns2, aborted atomic.Int64
	foreignN, notFound, wrongMethod, tooLarge        atomic.Int64
	timeouts, ledgerReqs                             atomic.Int64

	path, rawPath string // the announced path, decoded and as sent
	maxBody       int    // MaxBodyBytes with its default
	bodyTimeout   time.Duration

	foreign foreignSet
}

// NewSink prepares a sink; Start begins listening.
func NewSink(cfg SinkConfig) (*Sink, error) {
	s := &Sink{cfg: cfg, rec: cfg.Recorder, beh: cfg.Behaviour, conns: map[*trackedConn]struct{}{}, done: make(chan struct{})}
	s.gate.init()
	s.foreign.w = newIDWindow(cfg.Dedup.withDefaults().Window)
	if s.rec == nil {
		s.rec = NewMemRecorder()
	}
	ack := cfg.Ack
	if ack == "" && s.beh != nil {
		ack = s.beh.Spec.Ack
	}
	switch ack {
	case "", scenarios.AckAfterProcessing:
	case scenarios.AckBeforeProcessing:
		s.ackFirst = true
	default:
		return nil, fmt.Errorf("sink %s: unknown ack mode %q (want %s or %s)", cfg.Name, ack, scenarios.AckAfterProcessing, scenarios.AckBeforeProcessing)
	}
	if cfg.TLS {
		s.cert = cfg.Cert
		if s.cert == nil {
			c, err := NewSelfSignedCert()
			if err != nil {
				return nil, fmt.Errorf("sink %s: %w", cfg.Name, err)
			}
			s.cert = c
		}
		s.tlsCfg = s.cert.ServerConfig()
	}
	s.path = "/webhook/" + cfg.Name
	s.rawPath = "/webhook/" + url.PathEscape(cfg.Name)
	s.maxBody = orDefault(cfg.MaxBodyBytes, DefaultSinkMaxBody)
	s.bodyTimeout = orDefault(cfg.BodyTimeout, DefaultSinkBodyTimeout)
	s.srv = &fasthttp.Server{
		Handler:               s.handle,
		ErrorHandler:          s.onError,
		HeaderReceived:        s.onHeaders,
		Name:                  "evbench-sink",
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		NoDefaultContentType:  true,
		// Bodies are streamed: fasthttp pre-reads at most 8 KiB and the
		// handler streams the rest through the signature check without
		// holding it (consumeBody), up to MaxBodyBytes.
		StreamRequestBody:            true,
		MaxRequestBodySize:           s.maxBody,
		DisablePreParseMultipartForm: true, // never spool multipart uploads to temp files
		ReadTimeout:                  orDefault(cfg.HeaderTimeout, DefaultSinkHeaderTimeout),
		WriteTimeout:                 orDefault(cfg.WriteTimeout, DefaultSinkWriteTimeout),
		IdleTimeout:                  orDefault(cfg.IdleTimeout, DefaultSinkIdleTimeout),
		Concurrency:                  cfg.MaxConns,
		Logger:                       quietLogger{},
		CloseOnShutdown:              true,
	}
	return s, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// onHeaders gives the body its own deadline once the headers are in
// (ReadTimeout covered only the headers).
func (s *Sink) onHeaders(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return fasthttp.RequestConfig{ReadTimeout: s.bodyTimeout}
}

// onError answers requests fasthttp could not read: 408 for a timeout,
// 431 for headers beyond the read buffer, 413 for a body beyond the limit,
// 400 for anything malformed.
func (s *Sink) onError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.tooLarge.Add(1)
		ctx.Error("request body too large", fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &small):
		s.badReq.Add(1)
		ctx.Error("request headers too large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &ne) && ne.Timeout():
		s.timeouts.Add(1)
		ctx.Error("request timeout", fasthttp.StatusRequestTimeout)
	default:
		s.badReq.Add(1)
		ctx.Error("malformed request", fasthttp.StatusBadRequest)
	}
}

// Lingering close: how long and how much a refused request's unread body
// is discarded after the answer.
const (
	lingerTime  = time.Second
	lingerBytes = 8 << 20
)

// refuse answers status (with extra header lines) and closes the
// connection without reading the request's body, lingering as HTTP servers
// do: it answers, shuts down its sending side and discards what the client
// is still sending (at most lingerBytes for lingerTime) before closing, so
// the client reads the answer instead of a connection reset.
func (s *Sink) refuse(ctx *fasthttp.RequestCtx, status int, extra string) {
	conn := ctx.Conn()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		_ = c.SetWriteDeadline(time.Now().Add(s.srv.WriteTimeout))
		_, err := fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n%s\r\n", status, fasthttp.StatusMessage(status), extra)
		if err != nil {
			return
		}
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_ = c.SetReadDeadline(time.Now().Add(lingerTime))
		_, _ = io.CopyN(io.Discard, c, lingerBytes)
	})
}

// copyPool holds the buffers bodies are streamed through.
var copyPool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// consumeBody streams the request body through w (the signature Verifier,
// or io.Discard) without holding it: the sink needs a body only for its
// signature, so memory per request is one pooled 16 KiB buffer whatever
// the body's size. It enforces MaxBodyBytes and returns 0, or the status
// to answer (413 too large, 408 too slow, 400 malformed).
func (s *Sink) consumeBody(ctx *fasthttp.RequestCtx, w io.Writer) int {
	if ctx.Request.Header.ContentLength() > s.maxBody {
		s.tooLarge.Add(1)
		return fasthttp.StatusRequestEntityTooLarge
	}
	r := ctx.RequestBodyStream()
	if r == nil {
		return 0
	}
	bp := copyPool.Get().(*[]byte)
	buf := *bp
	var n int64
	var err error
	for n <= int64(s.maxBody) {
		var k int
		k, err = r.Read(buf)
		if k > 0 {
			n += int64(k)
			_, _ = w.Write(buf[:k])
		}
		if err != nil {
			break
		}
	}
	copyPool.Put(bp)
	if err == io.EOF {
		err = nil
	}
	switch {
	case err == nil && n > int64(s.maxBody), errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.tooLarge.Add(1)
		return fasthttp.StatusRequestEntityTooLarge
	case err == nil:
		return 0
	case isTimeout(err):
		s.timeouts.Add(1)
		return fasthttp.StatusRequestTimeout
	default:
		s.badReq.Add(1)
		return fasthttp.StatusBadRequest
	}
}

// quietLogger drops fasthttp's per-connection error logs: closed
// connections are expected here (down faults, dropped requests, shutdown).
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func (s *Sink) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// Start listens and serves in the background.
func (s *Sink) Start() error {
	addr := s.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("sink %s: already started", s.cfg.Name)
	}
	if err := s.listenLocked(addr); err != nil {
		return err
	}
	s.addr = s.ln.Addr().String()
	s.started = true
	return nil
}

func (s *Sink) listenLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sink %s: listen %s: %w", s.cfg.Name, addr, err)
	}
	s.ln = ln
	var l net.Listener = &trackedListener{Listener: ln, s: s}
	if s.tlsCfg != nil {
		l = tls.NewListener(l, s.tlsCfg)
	}
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		_ = s.srv.Serve(l)
	}()
	return nil
}

// Addr is the host:port the sink listens on (stable across down faults).
func (s *Sink) Addr() string { return s.addr }

// URL is the sink's webhook URL.
func (s *Sink) URL() string {
	scheme := "http"
	if s.tlsCfg != nil {
		scheme = "https"
	}
	return scheme + "://" + s.addr + "/webhook/" + url.PathEscape(s.cfg.Name)
}

// Cert is the TLS certificate (nil for plain HTTP).
func (s *Sink) Cert() *Cert { return s.cert }

// Recorder is the sink's recorder (the MemRecorder made by NewSink when
// none was configured).
func (s *Sink) Recorder() Recorder { return s.rec }

// Stats returns the sink's counters.
func (s *Sink) Stats() SinkStats {
	return SinkStats{
		Requests: s.requests.Load(), Processed: s.processed.Load(), Duplicates: s.duplicates.Load(),
		SignatureFailures: s.sigFail.Load(), BadRequests: s.badReq.Load(), Injected: s.injected.Load(),
		Paused: s.paused.Load(), Hung: s.hung.Load(), Dropped: s.dropped.Load(), Connections: s.conns2.Load(),
		Aborted: s.aborted.Load(), NotFound: s.notFound.Load(), WrongMethod: s.wrongMethod.Load(),
		TooLarge: s.tooLarge.Load(), Timeouts: s.timeouts.Load(), LedgerReads: s.ledgerReqs.Load(), Foreign: s.foreignN.Load(), DedupEvictions: s.dedupEvictions(),
	}
}

// SetStart anchors the fault timeline at the measured start (load.Now()
// timeline) and starts the controller that closes and reopens the
// listener for down faults. Call it once, before the measured period.
func (s *Sink) SetStart(measuredStart int64) {
	if s.beh == nil {
		return
	}
	s.beh.SetStart(measuredStart)
	wins := downWindows(s.beh.Spec.Faults, measuredStart)
	if len(wins) == 0 {
		return
	}
	s.ctlOnce.Do(func() {
		s.ctlWG.Add(1)
		go s.downController(wins)
	})
}

// window is [from, to) on the load.Now() timeline; to == 0 is open-ended.
type window struct{ from, to int64 }

// downWindows merges the scenario's down faults into disjoint windows.
func downWindows(faults []scenarios.Fault, start int64) []window {
	var ws []window
	for _, f := range faults {
		if f.Kind != scenarios.FaultDown {
			continue
		}
		w := window{from: start + int64(f.At.D())}
		if f.For > 0 {
			w.to = w.from + int64(f.For.D())
		}
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].from < ws[j].from })
	var out []window
	for _, w := range ws {
		if n := len(out); n > 0 && (out[n-1].to == 0 || w.from <= out[n-1].to) {
			if out[n-1].to != 0 && (w.to == 0 || w.to > out[n-1].to) {
				out[n-1].to = w.to
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// wait blocks until load.Now() >= t or the sink closes; false when closed.
func (s *Sink) waitUntil(t int64) bool {
	d := time.Duration(t - load.Now())
	if d <= 0 {
		select {
		case <-s.done:
			return false
		default:
			return true
		}
	}
	return s.sleep(d)
}

func (s *Sink) downController(wins []window) {
	defer s.ctlWG.Done()
	for _, w := range wins {
		if !s.waitUntil(w.from) {
			return
		}
		s.goDown()
		if w.to == 0 {
			return
		}
		if !s.waitUntil(w.to) {
			return
		}
		if err := s.goUp(); err != nil {
			s.logf("sink %s: %v", s.cfg.Name, err)
			return
		}
	}
}

// goDown closes the listener and every open connection: new connections
// are refused and requests on kept-alive connections fail, as when a
// service goes down.
func (s *Sink) goDown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.down {
		return
	}
	s.down = true
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Conn.Close()
	}
	s.logf("sink %s: down (listener closed)", s.cfg.Name)
}

// goUp listens again on the same port.
func (s *Sink) goUp() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.down {
		return nil
	}
	var err error
	for i := 0; i < 100; i++ { // bounded: the port is normally free at once
		if err = s.listenLocked(s.addr); err == nil {
			s.down = false
			s.logf("sink %s: up again on %s", s.cfg.Name, s.addr)
			return nil
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
		if s.closed {
			return nil
		}
	}
	return fmt.Errorf("re-listen after down fault: %w", err)
}

// Close stops the sink: held, hung and processing requests are abandoned
// (they were never processed, so they count as lost if nothing else
// delivers them), the listener and all connections are closed, and Close
// waits (bounded) for handlers to return so no delivery is recorded after it.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for c := range s.conns {
		_ = c.Conn.Close()
	}
	s.mu.Unlock()
	var err error
	if !s.gate.close(10 * time.Second) {
		err = fmt.Errorf("sink %s: handlers still running 10s after close", s.cfg.Name)
	}
	s.ctlWG.Wait()
	s.serveWG.Wait()
	return err
}

// trackedListener records accepted connections so a down fault can close them.
type trackedListener struct {
	net.Listener
	s *Sink
}

func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err // net.ErrClosed after a down fault or Close ends Serve
		}
		tc := &trackedConn{Conn: c, s: l.s}
		l.s.mu.Lock()
		if l.s.down || l.s.closed {
			l.s.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.s.conns[tc] = struct{}{}
		l.s.mu.Unlock()
		l.s.conns2.Add(1)
		return tc, nil
	}
}

type trackedConn struct {
	net.Conn
	s    *Sink
	once sync.Once
}

// CloseWrite shuts down the sending side (TCP), for refuse's lingering close.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// sleep waits d or until the sink closes; false when closed. It uses a
// pooled Go timer (timer.Coarse), which may wake ~1 ms late; use process
// where that matters.
func (s *Sink) sleep(d time.Duration) bool { return timer.Coarse(d, s.done) }

// process simulates processing for d with behave.Sleep (precise to ~0.1
// ms, the same simulation the Kafka consumers use); false when the sink
// closed meanwhile.
func (s *Sink) process(d time.Duration) bool { return behave.Sleep(d, s.done) }

// faultOf returns the first fault of kind in fs.
func faultOf(fs []scenarios.Fault, kind string) (scenarios.Fault, bool) {
	for _, f := range fs {
		if f.Kind == kind {
			return f, true
		}
	}
	return scenarios.Fault{}, false
}

// handle serves one webhook request. Order: infrastructure faults (down,
// hang, pause) act before the application sees anything; then the
// signature check, injected errors, idempotency, processing and the ack.
func (s *Sink) handle(ctx *fasthttp.RequestCtx) {
	if ctx.IsGet() && string(ctx.URI().PathOriginal()) == s.rawPath+LedgerSuffix {
		s.serveLedger(ctx)
		return
	}
	if string(ctx.Path()) != s.path && string(ctx.URI().PathOriginal()) != s.rawPath {
		s.notFound.Add(1)
		s.refuse(ctx, fasthttp.StatusNotFound, "")
		return
	}
	if !ctx.IsPost() {
		s.wrongMethod.Add(1)
		s.refuse(ctx, fasthttp.StatusMethodNotAllowed, "Allow: POST\r\n")
		return
	}
	if !s.gate.enter() {
		ctx.SetConnectionClose()
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	}
	defer s.gate.exit()
	s.requests.Add(1)

	var faults []scenarios.Fault
	if s.beh != nil && len(s.beh.Spec.Faults) > 0 {
		faults = s.beh.Active(load.Now())
		if _, ok := faultOf(faults, scenarios.FaultDown); ok {
			// Raced the listener close: drop the connection unanswered.
			s.dropped.Add(1)
			_ = ctx.Conn().Close()
			return
		}
		if _, ok := faultOf(faults, scenarios.FaultHang); ok {
			s.hung.Add(1)
			<-s.done
			ctx.SetConnectionClose()
			return
		}
		if f, ok := faultOf(faults, scenarios.FaultPause); ok {
			s.paused.Add(1)
			end := s.beh.End(f)
			if end == 0 {
				<-s.done
				ctx.SetConnectionClose()
				return
			}
			if !s.waitUntil(end) {
				ctx.SetConnectionClose()
				return
			}
			faults = s.beh.Active(load.Now())
		}
	}

	h := &ctx.Request.Header
	idB := h.PeekCanonical(canonID)
	var ver *Verifier
	var sigErr error
	var sink io.Writer = io.Discard
	if s.cfg.Secret != nil {
		ver, sigErr = s.cfg.Secret.NewVerifier(idB, h.PeekCanonical(canonTimestamp), h.PeekCanonical(canonSignature),
			time.Now(), s.cfg.Tolerance)
		if ver != nil {
			sink = ver
		}
	}
	if st := s.consumeBody(ctx, sink); st != 0 {
		if ver != nil {
			_ = ver.Check() // releases it
		}
		s.refuse(ctx, st, "")
		return
	}
	if s.cfg.Secret != nil {
		if ver != nil {
			sigErr = ver.Check()
		}
		if sigErr != nil {
			s.sigFail.Add(1)
			s.rec.Error(measure.ErrSignature)
			ctx.SetStatusCode(fasthttp.StatusUnauthorized)
			return
		}
	}
	if len(idB) == 0 {
		s.badReq.Add(1)
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		return
	}
	msg := s.ref(idB)
	intended, ok := parseInt(h.PeekCanonical(canonIntended))
	if !ok {
		intended = load.Now()
	}
	key := parseKey(h.PeekCanonical(canonKey))

	var extra time.Duration
	if len(faults) > 0 {
		if f, ok := faultOf(faults, scenarios.FaultErrors); ok {
			p := f.Probability
			if p == 0 {
				p = 1
			}
			if s.beh.Chance(p) {
				st := f.Status
				if st == 0 {
					st = fasthttp.StatusServiceUnavailable
				}
				if f.RetryAfter > 0 {
					secs := int64((f.RetryAfter.D() + time.Second - 1) / time.Second)
					var b [20]byte
					ctx.Response.Header.SetCanonical(canonRetryAft, strconv.AppendInt(b[:0], secs, 10))
				}
				s.injected.Add(1)
				ctx.SetStatusCode(st)
				return
			}
		}
		if f, ok := faultOf(faults, scenarios.FaultSlow); ok {
			extra = f.Add.D()
		}
	}

	first := s.claim(msg)
	if n := parseShards(h.PeekCanonical(canonShards)); n > 0 && !msg.foreign {
		if sr, ok := s.rec.(StrideRecorder); ok {
			sr.SetStride(msg.id, n) // shardledger.go
		}
	}
	if !first {
		s.duplicates.Add(1)
		s.duplicate(msg, intended)
		ctx.SetStatusCode(fasthttp.StatusOK)
		return
	}
	proc := extra
	if s.beh != nil {
		proc += s.beh.Processing()
	}
	if s.ackFirst {
		ctx.SetStatusCode(fasthttp.StatusOK)
		if proc <= 0 {
			s.deliver(msg, key, intended)
			return
		}
		if !s.gate.enter() {
			s.release(msg)
			return
		}
		go s.processAfterAck(msg, key, intended, proc)
		return
	}
	if proc > 0 && !s.process(proc) {
		s.aborted.Add(1)
		s.release(msg)
		ctx.SetConnectionClose()
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	}
	s.deliver(msg, key, intended)
	ctx.SetStatusCode(fasthttp.StatusOK)
}

// msgRef is a request's webhook-id: evbench's own numeric id (exact
// accounting through the Recorder) or any other string the specification
// allows (deduplicated by the sink's bounded window, see DedupLimits).
type msgRef struct {
	id      uint64
	foreign bool
	key     idKey
}

func (s *Sink) ref(idB []byte) msgRef {
	if id, ok := ParseMessageID(idB); ok {
		return msgRef{id: id}
	}
	return msgRef{foreign: true, key: foreignKey(idB)}
}

func (s *Sink) claim(m msgRef) bool {
	if m.foreign {
		return s.foreign.claim(m.key)
	}
	return s.rec.Claim(m.id)
}

func (s *Sink) release(m msgRef) {
	if m.foreign {
		s.foreign.release(m.key)
		return
	}
	s.rec.Release(m.id)
}

func (s *Sink) duplicate(m msgRef, intended int64) {
	if !m.foreign {
		s.rec.Duplicate(m.id, intended)
	} else if fr, ok := s.rec.(ForeignRecorder); ok {
		fr.DuplicateForeign(intended)
	}
}

// ForeignRecorder is implemented by recorders that also account for
// messages whose webhook-id is not an evbench id (another sender's). A
// run's recorder (measure.Subscriber) does not: such a message is not one
// of the run's events, so the sink counts it (SinkStats.Foreign) and
// leaves the run's ledger alone.
type ForeignRecorder interface {
	// DeliveredForeign records that processing of a foreign message
	// finished at done.
	DeliveredForeign(key int, intended, done int64)
	// DuplicateForeign counts a repeated foreign message.
	DuplicateForeign(intended int64)
}

func (s *Sink) deliver(m msgRef, key int, intended int64) {
	if m.foreign {
		s.foreignN.Add(1)
		if fr, ok := s.rec.(ForeignRecorder); ok {
			fr.DeliveredForeign(key, intended, load.Now())
		}
	} else {
		s.rec.Delivered(m.id, key, intended, load.Now())
	}
	s.processed.Add(1)
}

// processAfterAck finishes a before-processing delivery after its 2xx.
func (s *Sink) processAfterAck(m msgRef, key int, intended int64, proc time.Duration) {
	defer s.gate.exit()
	if !s.process(proc) {
		s.aborted.Add(1)
		return
	}
	s.deliver(m, key, intended)
}

// ParseMessageID parses a webhook-id of evbench's own form, "msg_<decimal>"
// or "<decimal>", into an event id; false for any other id. The
// specification lets a sender use any unique string (its own example is
// "msg_p5jXN8AQM9LWM0D4loKWxJek"), so false does not make an id invalid.
func ParseMessageID(b []byte) (uint64, bool) {
	if len(b) > 4 && string(b[:4]) == "msg_" {
		b = b[4:]
	}
	return parseUint(b)
}

// AppendMessageID appends the webhook-id for event id ("msg_<decimal>").
func AppendMessageID(dst []byte, id uint64) []byte {
	return strconv.AppendUint(append(dst, "msg_"...), id, 10)
}

// parseKey parses "key-<n>" or "<n>"; -1 when absent or malformed.
func parseKey(b []byte) int {
	if len(b) > 4 && string(b[:4]) == "key-" {
		b = b[4:]
	}
	n, ok := parseInt(b)
	if !ok || n > 1<<31 {
		return -1
	}
	return int(n)
}

// gate counts running handlers and lets Close wait for them without the
// WaitGroup reuse hazard (handlers keep arriving while Close waits).
type gate struct {
	n    atomic.Int64
	zero chan struct{}
	once sync.Once
}

const gateClosed = int64(1) << 62

func (g *gate) init() { g.zero = make(chan struct{}) }

func (g *gate) enter() bool {
	if g.n.Add(1)&gateClosed != 0 {
		g.exit()
		return false
	}
	return true
}

func (g *gate) exit() {
	if g.n.Add(-1) == gateClosed {
		g.once.Do(func() { close(g.zero) })
	}
}

// close forbids new entries and waits up to max for running ones.
func (g *gate) close(max time.Duration) bool {
	if g.n.Add(gateClosed) == gateClosed {
		g.once.Do(func() { close(g.zero) })
	}
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-g.zero:
		return true
	case <-t.C:
		return false
	}
}

// dedupEvictions is the sink's window evictions plus the recorder's, when
// it reports them.
func (s *Sink) dedupEvictions() int64 {
	n := s.foreign.evicted()
	if ds, ok := s.rec.(interface{ DedupStats() DedupStats }); ok {
		n += ds.DedupStats().Evictions
	}
	return n
}

// ForeignDedup describes the sink's window of foreign webhook-ids (the
// Recorder keeps evbench's own ids).
func (s *Sink) ForeignDedup() DedupStats {
	s.foreign.mu.Lock()
	defer s.foreign.mu.Unlock()
	return DedupStats{IDs: int64(s.foreign.w.len()), Bytes: s.foreign.w.bytes(), Evictions: s.foreign.w.evicted}
}

// isTimeout reports a deadline error; kept out of line so the net.Error it
// declares does not escape (allocate) on the handler's every call.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
