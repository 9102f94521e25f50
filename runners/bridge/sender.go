package bridge

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/valyala/fasthttp"
)

// SenderObserver receives the sender's outcomes; *measure.Point implements it.
type SenderObserver interface {
	// Ingress records intended time -> 2xx from the bridge.
	Ingress(intended, acked int64)
	// PublishError counts a failed hand-off to the bridge.
	PublishError(c measure.ErrClass)
	// AddBytes counts request bytes sent.
	AddBytes(n int)
}

// SenderQueueLimit bounds the events waiting for a request slot; beyond it
// Send blocks, so an overloaded bridge shows as generator lag, not memory.
const SenderQueueLimit = 100_000

// Sender is the harness side of the bridge: the upstream that sends each
// event once as a signed webhook POST to the ingress. Events wait in a
// FIFO of at most SenderQueueLimit for one of MaxInFlight workers (bounded
// in-flight requests); that wait counts in ingress, publish and end-to-end
// latency, all of which run from the intended time. A full FIFO blocks
// Send (back-pressure on the generator).
//
// Failures are counted, not retried (unless RetryEvery): a timeout, refused connection or
// non-2xx answer means the event never reached Kafka and shows as lost at
// every subscriber. 401, 502 and 504 are not counted here because the
// ingress counts them (signature failures, Kafka's outcome of the record).
type Sender struct {
	url     string
	secret  *webhook.Secret
	timeout time.Duration
	client  *fasthttp.HostClient
	obs     SenderObserver

	mu     sync.Mutex
	cond   *sync.Cond
	space  *sync.Cond
	stop   <-chan struct{}
	queue  []load.Event
	head   int
	closed bool
	wg     sync.WaitGroup

	// retryEvery, when > 0, makes a failed request (transport error or
	// 5xx) be sent again after it, until acknowledged or Close: an
	// upstream sender that retries, as systems.bridge.faults needs.
	retryEvery time.Duration
	closing    chan struct{}
	abandoned  atomic.Int64 // given up retrying at Close

	queued   atomic.Int64
	gaveUp   atomic.Int64 // Send gave up (stopped while the queue was full)
	inFlight atomic.Int64
	ok       atomic.Int64
	failed   atomic.Int64
}

// NewSender starts maxInFlight workers posting to url (an ingress URL).
// secret nil sends unsigned requests.
func NewSender(url, addr string, secret *webhook.Secret, maxInFlight int, timeout time.Duration, obs SenderObserver) *Sender {
	if maxInFlight < 1 {
		maxInFlight = 1
	}
	s := &Sender{
		url: url, secret: secret, timeout: timeout, obs: obs,
		client: &fasthttp.HostClient{
			Addr:                          addr,
			Name:                          "evbench-bridge-sender",
			MaxConns:                      maxInFlight,
			ReadTimeout:                   timeout,
			WriteTimeout:                  timeout,
			MaxIdleConnDuration:           time.Minute,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: false,
		},
	}
	s.closing = make(chan struct{})
	s.cond = sync.NewCond(&s.mu)
	s.space = sync.NewCond(&s.mu)
	for i := 0; i < maxInFlight; i++ {
		s.wg.Add(1)
		go s.work()
	}
	return s
}

// RetryEvery makes the sender retry a failed request (transport error or
// 5xx answer) every d until it is acknowledged or the sender is closed;
// call before the load starts. Every failed attempt is still counted.
func (s *Sender) RetryEvery(d time.Duration) { s.retryEvery = d }

// StopOn makes a blocked Send give up once done is closed (the run was
// interrupted); call before the load starts. An event Send gives up on is
// counted by Close as never sent.
func (s *Sender) StopOn(done <-chan struct{}) {
	s.stop = done
	go func() {
		<-done
		s.mu.Lock()
		s.space.Broadcast()
		s.mu.Unlock()
	}()
}

func (s *Sender) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Send queues ev; it blocks while SenderQueueLimit events wait.
func (s *Sender) Send(ev load.Event) {
	s.queued.Add(1)
	s.mu.Lock()
	for len(s.queue)-s.head >= SenderQueueLimit && !s.closed && !s.stopped() {
		s.space.Wait()
	}
	if s.closed || (len(s.queue)-s.head >= SenderQueueLimit) {
		s.mu.Unlock()
		s.gaveUp.Add(1)
		return
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	s.cond.Signal()
}

// QueueDepth is the number of events waiting for a free request slot.
func (s *Sender) QueueDepth() int64 { return s.queued.Load() }

// InFlight is the number of requests on the wire.
func (s *Sender) InFlight() int64 { return s.inFlight.Load() }

// OK is the number of events the bridge acknowledged with 2xx.
func (s *Sender) OK() int64 { return s.ok.Load() }

// Failed is the number of events the bridge did not acknowledge.
func (s *Sender) Failed() int64 { return s.failed.Load() }

func (s *Sender) next() (load.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.head == len(s.queue) && !s.closed {
		s.cond.Wait()
	}
	if s.head == len(s.queue) {
		return load.Event{}, false
	}
	ev := s.queue[s.head]
	s.queue[s.head] = load.Event{}
	s.head++
	s.space.Signal()
	if s.head == len(s.queue) {
		s.queue, s.head = s.queue[:0], 0
	} else if s.head > 4096 && s.head*2 > len(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		s.queue, s.head = s.queue[:n], 0
	}
	return ev, true
}

func (s *Sender) work() {
	defer s.wg.Done()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	var idBuf, sigBuf, numBuf []byte
	for {
		ev, ok := s.next()
		if !ok {
			return
		}
		s.queued.Add(-1)
		for !s.post(ev, req, resp, &idBuf, &sigBuf, &numBuf) {
			t := time.NewTimer(s.retryEvery)
			select {
			case <-t.C:
				continue
			case <-s.closing:
				t.Stop()
			}
			s.abandoned.Add(1)
			break
		}
	}
}

// post makes one request for ev; it returns false when it failed in a way
// a retrying sender retries (transport error or 5xx) and retrying is on.
func (s *Sender) post(ev load.Event, req *fasthttp.Request, resp *fasthttp.Response, idBufP, sigBufP, numBufP *[]byte) bool {
	idBuf, sigBuf, numBuf := *idBufP, *sigBufP, *numBufP
	defer func() { *idBufP, *sigBufP, *numBufP = idBuf, sigBuf, numBuf }()
	s.inFlight.Add(1)
	req.Reset()
	resp.Reset()
	req.SetRequestURI(s.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	idBuf = webhook.AppendMessageID(idBuf[:0], ev.ID)
	req.Header.SetBytesKV(hdrID, idBuf)
	if s.secret != nil {
		ts := time.Now().Unix()
		numBuf = strconv.AppendInt(numBuf[:0], ts, 10)
		req.Header.SetBytesKV(hdrTimestamp, numBuf)
		sigBuf = s.secret.AppendSignature(sigBuf[:0], idBuf, ts, ev.Payload)
		req.Header.SetBytesKV(hdrSignature, sigBuf)
	}
	numBuf = strconv.AppendInt(numBuf[:0], ev.Intended, 10)
	req.Header.SetBytesKV(hdrIntended, numBuf)
	req.Header.Set(webhook.HeaderKey, load.KeyString(ev.Key))
	req.SetBodyRaw(ev.Payload)
	s.obs.AddBytes(len(ev.Payload) + 200)
	err := s.client.DoTimeout(req, resp, s.timeout)
	now := load.Now()
	s.inFlight.Add(-1)
	code := resp.StatusCode()
	switch {
	case err != nil:
		s.failed.Add(1)
		s.obs.PublishError(classifyHTTP(err))
	case code >= 200 && code < 300:
		s.ok.Add(1)
		s.obs.Ingress(ev.Intended, now)
	default:
		s.failed.Add(1)
		switch {
		case code == StatusBadSignature || code == StatusProduceFailed || code == StatusProduceTimeout:
			// counted by the ingress (a 504's record is counted when
			// its outcome is known)
		case code >= 500:
			s.obs.PublishError(measure.ErrHTTP5xx)
		default:
			s.obs.PublishError(measure.ErrHTTP4xx)
		}
	}
	retry := s.retryEvery > 0 && (err != nil || code >= 500)
	return !retry
}

func classifyHTTP(err error) measure.ErrClass {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.As(err, &ne) && ne.Timeout():
		return measure.ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return measure.ErrRefused
	default:
		return measure.ErrOther
	}
}

// Close stops the workers once the requests on the wire finish; queued
// events are dropped (they count as lost). It returns how many were
// dropped or still unanswered.
func (s *Sender) Close() (unsent int64) {
	s.mu.Lock()
	if !s.closed {
		close(s.closing)
	}
	s.closed = true
	dropped := int64(len(s.queue) - s.head)
	s.queue, s.head = nil, 0
	s.mu.Unlock()
	s.queued.Add(-dropped)
	s.cond.Broadcast()
	s.space.Broadcast()
	s.wg.Wait()
	s.client.CloseIdleConnections()
	gaveUp := s.gaveUp.Load()
	s.queued.Add(-gaveUp)
	return dropped + gaveUp + s.abandoned.Load()
}
