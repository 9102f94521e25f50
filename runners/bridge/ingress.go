package bridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// Ack modes of the ingress.
const (
	// AckAfterProduce (durable, the default) answers 200 only once Kafka
	// acknowledged the record: an acknowledged webhook is in Kafka.
	AckAfterProduce = "after-produce"
	// AckBeforeProduce (fast) answers 202 as soon as the request is
	// verified and hands the record to the producer afterwards: what is
	// in flight is lost if the bridge dies.
	AckBeforeProduce = "before-produce"
)

// Status codes the ingress answers besides 2xx. The sender does not count
// them again: the ingress already counted them (signature failures, broker
// errors).
const (
	StatusBadSignature  = fasthttp.StatusUnauthorized // 401: missing or forged Standard Webhooks signature
	StatusProduceFailed = fasthttp.StatusBadGateway   // 502: Kafka refused the record (durable mode)
	StatusBadRequest    = fasthttp.StatusBadRequest   // 400: no usable webhook-id / intended time
	// StatusProduceTimeout (504): Kafka had not acknowledged the record
	// within the produce timeout (durable mode); the record's outcome is
	// counted by the ingress when it is known (a failure, or never
	// acknowledged by the end of the drain).
	StatusProduceTimeout = fasthttp.StatusGatewayTimeout
)

// produceWaitShare is the share of the bridge timeout a durable request
// waits for Kafka, so the ingress's answer reaches the sender before the
// sender's own timeout and each event's outcome is counted once, at the
// Kafka side.
const produceWaitShare = 0.9

// IngressConfig configures the bridge's HTTP ingress.
type IngressConfig struct {
	// Secret verifies Standard Webhooks signatures; nil accepts unsigned
	// requests (signing disabled in the scenario).
	Secret *webhook.Secret
	// Ack is AckAfterProduce or AckBeforeProduce.
	Ack string
	// Settings, Topic and Conn configure the bridge's Kafka producers.
	Settings kafka.Settings
	Topic    string
	Conn     []kgo.Opt
	// Keys is the scenario's key count (producer routing, key bytes).
	Keys int
	// Obs receives publish outcomes and signature failures; required.
	Obs kafka.Observer
	// ProduceTimeout bounds how long a durable request waits for Kafka.
	ProduceTimeout time.Duration
	// Gate, when set, holds a verified request before it is produced while
	// it returns true (the embedded broker's unconsumed budget; see
	// kafka.EmbeddedUnconsumedBudget): HTTP back-pressure instead of memory.
	Gate func() bool
	// ListenAddr is where the ingress listens; empty: 127.0.0.1 on an
	// ephemeral port. A restarted bridge process listens where the last
	// one did (bridgeproc.go).
	ListenAddr string
	// OnHandOff, when set, is called when a verified record is handed to
	// the producer, and OnOutcome when Kafka's outcome for it is known
	// (acknowledged or failed): a bridge child process reports both to
	// its parent, which then knows what the bridge holds (child.go).
	OnHandOff func(id uint64, intended int64)
	OnOutcome func(id uint64, acked bool)
	// Forward, when set, receives every verified event before it is
	// produced (a parallel run's legacy webhook path; parallel.go). Its
	// payload is the ingress's own copy; Forward must not block.
	Forward func(load.Event)
}

// Ingress is the bridge service: a fasthttp server on 127.0.0.1 that
// verifies Standard Webhooks signatures (401 on failure, counted), then
// produces the event to Kafka keyed by its key, with the event id and
// intended time in record headers (see kafka.NewRecord), acking the HTTP
// request before or after Kafka's ack as configured.
type Ingress struct {
	cfg     IngressConfig
	srv     *fasthttp.Server
	ln      net.Listener
	clients []*kgo.Client
	serveWG sync.WaitGroup

	accepted  atomic.Int64 // verified requests handed to Kafka
	rejected  atomic.Int64 // 401s
	bad       atomic.Int64 // 400s
	inFlight  atomic.Int64 // records handed to Kafka, not yet acknowledged
	published atomic.Int64
	failed    atomic.Int64
	abandoned atomic.Int64 // failed because the ingress was closed
	outage    kafka.Outage
	closing   atomic.Bool
	unacked   int64
}

// StartIngress starts the ingress on 127.0.0.1 on an ephemeral port.
func StartIngress(cfg IngressConfig) (*Ingress, error) {
	if cfg.Obs == nil {
		return nil, errors.New("bridge ingress: no observer")
	}
	if cfg.Ack == "" {
		cfg.Ack = AckAfterProduce
	}
	if cfg.Ack != AckAfterProduce && cfg.Ack != AckBeforeProduce {
		return nil, fmt.Errorf("bridge ack %q: want after-produce or before-produce", cfg.Ack)
	}
	if cfg.ProduceTimeout <= 0 {
		cfg.ProduceTimeout = 30 * time.Second
	}
	in := &Ingress{cfg: cfg}
	n := cfg.Settings.Producers
	if n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		opts := append(append([]kgo.Opt{}, cfg.Conn...), kafka.ProducerOpts(cfg.Settings)...)
		opts = append(opts, kgo.DefaultProduceTopic(cfg.Topic), kgo.ClientID(fmt.Sprintf("evbench-bridge-%d", i)), in.outage.Hook())
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("bridge producer %d: %w", i, err)
		}
		in.clients = append(in.clients, cl)
	}
	addr := cfg.ListenAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("bridge ingress listen: %w", err)
	}
	in.ln = ln
	in.srv = &fasthttp.Server{
		Handler:               in.handle,
		Name:                  "evbench-bridge",
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           time.Minute,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		CloseOnShutdown:       true,
	}
	in.serveWG.Add(1)
	go func() {
		defer in.serveWG.Done()
		_ = in.srv.Serve(ln)
	}()
	return in, nil
}

// Addr is the ingress's host:port.
func (in *Ingress) Addr() string { return in.ln.Addr().String() }

// URL is the ingress's webhook endpoint.
func (in *Ingress) URL() string { return "http://" + in.Addr() + "/webhooks" }

// Rejected is the number of requests answered 401 (signature failures).
func (in *Ingress) Rejected() int64 { return in.rejected.Load() }

// Accepted is the number of verified requests handed to Kafka.
func (in *Ingress) Accepted() int64 { return in.accepted.Load() }

// Published is the number of records Kafka acknowledged.
func (in *Ingress) Published() int64 { return in.published.Load() }

// InFlight is the number of records handed to Kafka and not yet acknowledged.
func (in *Ingress) InFlight() int64 { return in.inFlight.Load() }

var (
	hdrID        = []byte(webhook.HeaderID)
	hdrTimestamp = []byte(webhook.HeaderTimestamp)
	hdrSignature = []byte(webhook.HeaderSignature)
	hdrIntended  = []byte(webhook.HeaderIntended)
	hdrKey       = []byte(webhook.HeaderKey)
)

func (in *Ingress) handle(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
		return
	}
	h := &ctx.Request.Header
	body := ctx.PostBody()
	msgID := h.PeekBytes(hdrID)
	if s := in.cfg.Secret; s != nil {
		if err := s.VerifyBytes(msgID, h.PeekBytes(hdrTimestamp), h.PeekBytes(hdrSignature), body, time.Now(), webhook.DefaultTolerance); err != nil {
			in.rejected.Add(1)
			in.cfg.Obs.PublishError(measure.ErrSignature)
			ctx.SetStatusCode(StatusBadSignature)
			return
		}
	}
	id, ok := webhook.ParseMessageID(msgID)
	intended, ok2 := parseInt64(h.PeekBytes(hdrIntended))
	if !ok || !ok2 {
		in.bad.Add(1)
		ctx.SetStatusCode(StatusBadRequest)
		ctx.SetBodyString("want webhook-id msg_<id> and " + webhook.HeaderIntended)
		return
	}
	keyB := h.PeekBytes(hdrKey)
	keyIdx := kafka.ParseKey(keyB)
	// The body and key belong to fasthttp until the handler returns; the
	// record may outlive it (fast mode), so it gets its own copy.
	buf := make([]byte, len(keyB)+len(body))
	copy(buf, keyB)
	copy(buf[len(keyB):], body)
	rec := kafka.NewRecord(id, intended, buf[:len(keyB)], buf[len(keyB):])
	if f := in.cfg.Forward; f != nil {
		f(load.Event{ID: id, Key: max(keyIdx, 0), Intended: intended, Payload: buf[len(keyB):]})
	}
	cl := in.clients[0]
	if n := len(in.clients); n > 1 && keyIdx >= 0 {
		cl = in.clients[keyIdx%n]
	}
	for in.cfg.Gate != nil && in.cfg.Gate() && !in.closing.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	in.accepted.Add(1)
	in.inFlight.Add(1)
	if in.cfg.OnHandOff != nil {
		in.cfg.OnHandOff(id, intended)
	}
	in.cfg.Obs.AddBytes(len(buf) + 32)
	if in.cfg.Ack == AckBeforeProduce {
		cl.Produce(context.Background(), rec, in.promise)
		ctx.SetStatusCode(fasthttp.StatusAccepted)
		return
	}
	// The record's context bounds the wait for buffer space and, while the
	// record is not yet sent, its life: a request answered 502 or 504
	// does not usually leave a record behind that Kafka stores later.
	wait := time.Duration(float64(in.cfg.ProduceTimeout) * produceWaitShare)
	pctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	cl.Produce(pctx, rec, func(r *kgo.Record, err error) {
		in.promise(r, err)
		done <- err
	})
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			ctx.SetStatusCode(StatusProduceFailed)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusOK)
	case <-t.C:
		// Still in flight: not durable yet, so not acked.
		ctx.SetStatusCode(StatusProduceTimeout)
	}
}

func (in *Ingress) promise(r *kgo.Record, err error) {
	now := load.Now()
	in.inFlight.Add(-1)
	if in.cfg.OnOutcome != nil {
		if m, ok := kafka.ParseRecord(r); ok {
			in.cfg.OnOutcome(m.ID, err == nil)
		}
	}
	if err == nil {
		in.published.Add(1)
		in.outage.Acked(now)
		if m, ok := kafka.ParseRecord(r); ok {
			in.cfg.Obs.Published(m.Intended, now)
		}
		return
	}
	kafka.MarkUnacked(in.cfg.Obs, r)
	if in.closing.Load() {
		in.abandoned.Add(1)
		return
	}
	in.failed.Add(1)
	if errors.Is(err, context.DeadlineExceeded) {
		// The durable wait ran out with the record still unsent: the
		// same outcome the kafka runner counts at the end of its drain,
		// so the same class.
		in.cfg.Obs.PublishError(in.outage.Class())
		return
	}
	in.cfg.Obs.PublishError(kafka.Classify(err))
}

// Close stops the server (waiting for running handlers) and the producers
// without waiting for unacknowledged records. Records never acknowledged
// are counted as publish errors by class (kafka.Outage), exactly as the
// kafka runner counts them, and their number is returned.
func (in *Ingress) Close() (unacked int64) {
	if in.srv != nil {
		_ = in.srv.Shutdown()
		in.serveWG.Wait()
		in.srv = nil
	}
	if in.closing.Swap(true) {
		return in.unacked
	}
	for _, cl := range in.clients {
		cl.Close()
	}
	in.clients = nil
	deadline := time.Now().Add(5 * time.Second)
	for in.inFlight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	in.unacked = in.abandoned.Load() + in.inFlight.Load()
	in.outage.Count(in.cfg.Obs, in.unacked)
	return in.unacked
}

// AddUnsent counts events the upstream sender never delivered to the
// ingress (dropped from its queue at the end of the drain) like records
// never acknowledged: they never reached Kafka either. Call after Close.
func (in *Ingress) AddUnsent(n int64) {
	in.outage.Count(in.cfg.Obs, n)
	in.unacked += n
}

// UnackedError describes the records Close found unacknowledged (nil when
// there were none).
func (in *Ingress) UnackedError() error {
	if in.unacked == 0 {
		return nil
	}
	return &kafka.UnackedError{System: System, N: in.unacked, Why: in.outage.Describe()}
}

func parseInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}
