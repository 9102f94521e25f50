package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Observer receives a producer's outcomes. *measure.Point implements it.
// Methods are called from the clients' promise goroutines.
type Observer interface {
	// Published records an ack: intended time -> ack, both on load.Now()'s timeline.
	Published(intended, acked int64)
	// PublishError counts a failed produce by class.
	PublishError(c measure.ErrClass)
	// AddBytes counts bytes handed to the producer (key, value, headers).
	AddBytes(n int)
}

// failedObserver is an Observer that also records the ids Kafka never
// acknowledged (*measure.Point does), so their loss is attributed exactly.
type failedObserver interface{ PublishFailed(id uint64) }

// MaxInflightNonIdempotent is the produce requests allowed in flight per
// broker without idempotence (Java's max.in.flight.requests.per.connection).
const MaxInflightNonIdempotent = 5

// headerBytes is the size of the two evbench headers (keys and values).
const headerBytes = len(HeaderID) + 8 + len(HeaderIntended) + 8

// ProducerOpts turns the producer settings into kgo options.
//
// Without idempotence (acks 0 or 1, or idempotent: false) up to
// MaxInflightNonIdempotent produce requests may be in flight per broker, as
// with Java's default max.in.flight.requests.per.connection: a retried
// request can then reorder records, and per-key out-of-order deliveries
// show it. (kgo's own default there is 1.) The idempotent producer keeps
// order with up to 5 in flight.
//
// acks: 0 means kgo.NoAck: the client considers a record delivered once its
// produce request is written to the connection, so publish latency with
// acks 0 is "intended -> request written", and nothing confirms that the
// broker stored the record. acks 1 waits for the partition leader, acks all
// for every in-sync replica. The idempotent producer needs acks all.
func ProducerOpts(s Settings) []kgo.Opt {
	var opts []kgo.Opt
	switch s.Acks {
	case Acks0:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	case Acks1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	default:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	}
	if !s.Idempotent || s.Acks != AcksAll {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(MaxInflightNonIdempotent))
	}
	// kgo refuses a client whose batch limit exceeds its request limit
	// (100 MiB, Kafka's socket.request.max.bytes default); the loader
	// allows batches up to 1 GiB, so the request limit follows the batch.
	writeMax := max(int32(100<<20), s.BatchMaxBytes)
	opts = append(opts,
		kgo.MaxBufferedBytes(MaxBufferedBytes(s)),
		kgo.ProducerLinger(s.Linger),
		kgo.ProducerBatchMaxBytes(s.BatchMaxBytes),
		kgo.BrokerMaxWriteBytes(writeMax),
		kgo.MaxBufferedRecords(s.MaxBufferedRecords),
	)
	switch s.Compression {
	case "gzip":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	}
	return opts
}

// BufferedBytesBudget is what all of a point's producer clients together
// may hold in record bytes (kgo.MaxBufferedBytes), whatever the offered
// rate: beyond it Produce blocks, the producer's queue fills and the
// generator falls behind (generator lag), instead of memory growing.
const BufferedBytesBudget = 64 << 20

// EmbeddedUnconsumedBudget bounds what the embedded broker holds: its
// records live in evbench's own memory. Records every group has committed
// are deleted as the run goes (Groups' TrimConsumed), and producers wait
// while the slowest group's lag exceeds this many bytes: an overloaded
// embedded point shows as generator lag, not as memory. A real broker
// keeps its data outside the process and is not gated.
const EmbeddedUnconsumedBudget = 64 << 20

// MaxBufferedBytes is one client's share of BufferedBytesBudget, at least
// one batch (a record larger than the limit would fail at once).
func MaxBufferedBytes(s Settings) int {
	n := BufferedBytesBudget / max(s.Producers, 1)
	return max(n, int(s.BatchMaxBytes))
}

// Classify maps a produce (or consume) error to an error class.
func Classify(err error) measure.ErrClass {
	var ke *kerr.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, kgo.ErrRecordTimeout):
		return measure.ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return measure.ErrRefused
	case errors.As(err, &ke):
		return measure.ErrBroker
	default:
		return measure.ErrOther
	}
}

// Outage classifies records that were never acknowledged by the end of a
// point's drain: they are publish errors, of class refused when the
// clients' last connection attempt after the last acknowledgement failed
// (the broker is unavailable: down, unreachable) and of class timeout
// otherwise (connected, but no acknowledgement: a stalled or paused
// broker). The kafka producer and the bridge's ingress both use it, so the
// same outage is counted the same way by both systems. Install it on the
// clients with Hook and call Acked for every acknowledgement.
type Outage struct {
	lastFail atomic.Int64            // load.Now() of the last failed connection
	lastAck  atomic.Int64            // load.Now() of the last acknowledgement
	lastErr  atomic.Pointer[connErr] // the last failed connection's error
}

// connErr boxes an error for Outage.lastErr: an atomic.Value would panic
// when two failures have different concrete error types.
type connErr struct{ err error }

// Hook is the client option that lets o watch connection attempts.
func (o *Outage) Hook() kgo.Opt { return kgo.WithHooks(o) }

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (o *Outage) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		o.lastErr.Store(&connErr{err})
		o.lastFail.Store(load.Now())
	}
}

// Acked records an acknowledgement at now (load.Now): the callers read the
// clock for the publish latency already, and a second reading per record
// was 4% of the producer path's CPU (kperf -cpuprofile).
func (o *Outage) Acked(now int64) { o.lastAck.Store(now) }

// Class is the error class of a record never acknowledged by now.
func (o *Outage) Class() measure.ErrClass {
	if f := o.lastFail.Load(); f != 0 && f >= o.lastAck.Load() {
		return measure.ErrRefused
	}
	return measure.ErrTimeout
}

// Describe says in words what Class decided, for the point's error.
func (o *Outage) Describe() string {
	if o.Class() == measure.ErrRefused {
		msg := "broker unavailable"
		if e := o.lastErr.Load(); e != nil {
			msg += ": " + e.err.Error()
		}
		return msg + " (class refused)"
	}
	return "connected but not acknowledged (class timeout)"
}

// Count adds n never-acknowledged records to obs as publish errors of
// o's class.
func (o *Outage) Count(obs Observer, n int64) {
	c := o.Class()
	for ; n > 0; n-- {
		obs.PublishError(c)
	}
}

// UnackedError is the error of a point whose records were never all
// acknowledged: the run did not complete, whatever the subscribers saw.
type UnackedError struct {
	System string
	N      int64
	Why    string
}

// Error names the count and the cause.
func (e *UnackedError) Error() string {
	return fmt.Sprintf("%s: %d records were never acknowledged by Kafka by the end of the drain (%s); counted as publish errors", e.System, e.N, e.Why)
}

// Producer is `producers: N` kgo clients fed from the one open-loop
// schedule. Each client has a FIFO of at most max_buffered_records events
// in front of it, drained in batches by one goroutine into the client's
// Produce (so up to twice that many wait per client); when
// the client holds max_buffered_records records or BufferedBytesBudget
// bytes, Produce blocks that goroutine and events wait in the FIFO. That
// wait is queueing: it shows in QueueDepth and, since publish latency runs
// from the intended time, in publish and end-to-end latency. When the FIFO
// is full too, Send blocks: an overloaded producer holds the generator
// back (generator lag), so memory stays bounded at any offered rate.
//
// Events are routed to a client by key (key index mod N), not round-robin:
// records of one key then leave through one client in schedule order, as
// they would from a real keyed producer, so per-key order at the consumers
// measures the system and not a race between the harness's own clients.
// With fewer keys than producers some clients stay idle.
type Producer struct {
	topic   string
	clients []*kgo.Client
	queues  []*fifo
	keys    keyTable
	obs     Observer
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	queued    atomic.Int64 // in the FIFOs
	inFlight  atomic.Int64 // handed to a client, not yet acknowledged or failed
	acked     atomic.Int64
	failed    atomic.Int64
	abandoned atomic.Int64 // failed because the producer was closed
	outage    Outage
	closing   atomic.Bool
	closeOnce sync.Once
	unacked   int64
	stop      <-chan struct{}
	gate      func() bool
	recBytes  atomic.Int64 // bytes of the records handed to the clients
	recs      atomic.Int64
	onAck     func(*kgo.Record, RecordMeta)
}

// TrackAcks calls f with every acknowledged evbench record (it carries its
// partition and offset); retention attribution uses it (retention.go).
// Call before the load starts; f must not block.
func (p *Producer) TrackAcks(f func(*kgo.Record, RecordMeta)) { p.onAck = f }

// NewProducer connects settings.Producers clients to topic. conn are the
// connection options (Settings.ConnOpts); keys is the scenario's key count.
func NewProducer(s Settings, topic string, conn []kgo.Opt, keys int, obs Observer) (*Producer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Producer{topic: topic, keys: newKeyTable(keys), obs: obs, ctx: ctx, cancel: cancel}
	for i := 0; i < s.Producers; i++ {
		opts := append(append([]kgo.Opt{}, conn...), ProducerOpts(s)...)
		opts = append(opts, kgo.DefaultProduceTopic(topic), kgo.ClientID(fmt.Sprintf("evbench-producer-%d", i)), p.outage.Hook())
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("kafka producer %d: %w", i, err)
		}
		p.clients = append(p.clients, cl)
		q := newFIFO(s.MaxBufferedRecords)
		p.queues = append(p.queues, q)
		p.wg.Add(1)
		go p.feed(cl, q)
	}
	return p, nil
}

// StopOn makes a blocked Send give up once done is closed (the run was
// interrupted); call before the load starts. An event Send gives up on is
// never acknowledged and counted as such by Close.
func (p *Producer) StopOn(done <-chan struct{}) { p.stop = done }

// GateOnLag makes the producer wait, before handing a record to a client,
// while lag() records (the slowest group's consumer lag) of the mean
// record size exceed budget bytes. Call before the load starts.
func (p *Producer) GateOnLag(lag func() int64, budget int64) {
	p.gate = func() bool {
		n := p.recs.Load()
		if n == 0 {
			return false
		}
		return lag()*(p.recBytes.Load()/n) > budget
	}
}

// Send queues ev for its client; it blocks while the client's queue is
// full (back-pressure on the generator).
func (p *Producer) Send(ev load.Event) {
	i := 0
	if n := len(p.queues); n > 1 {
		i = ev.Key % n
		if i < 0 {
			i = -i
		}
	}
	p.queued.Add(1)
	p.queues[i].push(ev, p.stop)
}

func (p *Producer) feed(cl *kgo.Client, q *fifo) {
	defer p.wg.Done()
	var spare []load.Event
	for {
		batch, ok := q.take(spare, p.ctx.Done())
		if !ok {
			return
		}
		for i := range batch {
			ev := &batch[i]
			key := p.keys.get(ev.Key)
			for p.gate != nil && p.gate() {
				select {
				case <-p.ctx.Done():
				case <-time.After(5 * time.Millisecond):
					continue
				}
				break
			}
			rec := NewRecord(ev.ID, ev.Intended, key, ev.Payload)
			n := len(key) + len(ev.Payload) + headerBytes
			p.obs.AddBytes(n)
			p.recBytes.Add(int64(n))
			p.recs.Add(1)
			p.queued.Add(-1)
			p.inFlight.Add(1)
			cl.Produce(p.ctx, rec, p.promise)
			*ev = load.Event{}
		}
		spare = batch[:0]
	}
}

func (p *Producer) promise(r *kgo.Record, err error) {
	now := load.Now()
	p.inFlight.Add(-1)
	if err == nil {
		p.acked.Add(1)
		p.outage.Acked(now)
		if m, ok := ParseRecord(r); ok {
			p.obs.Published(m.Intended, now)
			if p.onAck != nil {
				p.onAck(r, m)
			}
		}
		return
	}
	MarkUnacked(p.obs, r)
	if p.closing.Load() {
		p.abandoned.Add(1)
		return
	}
	p.failed.Add(1)
	p.obs.PublishError(Classify(err))
}

// QueueDepth is the number of events waiting in front of the clients.
func (p *Producer) QueueDepth() int64 { return p.queued.Load() }

// InFlight is the number of records handed to the clients and not yet
// acknowledged (buffered, lingering or awaiting the broker).
func (p *Producer) InFlight() int64 { return p.inFlight.Load() }

// Acked is the number of acknowledged records.
func (p *Producer) Acked() int64 { return p.acked.Load() }

// Failed is the number of records that failed to produce (not counting
// those abandoned by Close).
func (p *Producer) Failed() int64 { return p.failed.Load() }

// Flush waits until every sent event has been acknowledged or has failed,
// or ctx ends.
func (p *Producer) Flush(ctx context.Context) error {
	for p.queued.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka producer flush: %d events still queued: %w", p.queued.Load(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	for _, cl := range p.clients {
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("kafka producer flush: %w", err)
		}
	}
	return nil
}

// ackGrace bounds how long Close waits for produce responses already
// requested before it closes the clients.
const ackGrace = 2 * time.Second

// closeWait bounds how long Close waits for the clients to fail their
// buffered records after closing.
const closeWait = 5 * time.Second

// Close stops the clients without waiting for outstanding records. Events
// never acknowledged (still queued, buffered or awaiting the broker) are
// counted as publish errors by class (see Outage) and their number is
// returned: at the end of a drain the broker has had its chance.
func (p *Producer) Close() (unacked int64) {
	p.closeOnce.Do(func() {
		p.closing.Store(true)
		p.cancel()
		for _, q := range p.queues {
			q.close()
		}
		p.wg.Wait()
		if f, ok := p.obs.(failedObserver); ok {
			for _, q := range p.queues {
				q.mu.Lock()
				for _, ev := range q.items {
					f.PublishFailed(ev.ID)
				}
				q.mu.Unlock()
			}
		}
		// Acks can trail deliveries: a record is fetchable once the broker
		// has appended it, and its produce response may still be on the
		// wire when the drain sees every event consumed. Give outstanding
		// responses a short, bounded grace so records the broker holds are
		// not miscounted as unacknowledged; a dead broker costs at most
		// ackGrace here.
		if p.inFlight.Load() > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), ackGrace)
			for _, cl := range p.clients {
				_ = cl.Flush(ctx) // an expired grace is what the count below reports
			}
			cancel()
		}
		for _, cl := range p.clients {
			cl.Close()
		}
		// Closing fails what the clients still buffer; the promises run
		// on the clients' goroutines.
		deadline := time.Now().Add(closeWait)
		for p.inFlight.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		p.unacked = p.queued.Load() + p.abandoned.Load() + p.inFlight.Load()
		p.outage.Count(p.obs, p.unacked)
	})
	return p.unacked
}

// UnackedError describes the records Close found unacknowledged (nil when
// there were none).
func (p *Producer) UnackedError(system string) error {
	if p.unacked == 0 {
		return nil
	}
	return &UnackedError{System: system, N: p.unacked, Why: p.outage.Describe()}
}

// fifo is a bounded queue with one producer and one consumer.
type fifo struct {
	mu     sync.Mutex
	items  []load.Event
	limit  int
	sig    chan struct{} // an item was pushed
	space  chan struct{} // items were taken
	closed bool
}

func newFIFO(limit int) *fifo {
	return &fifo{limit: max(limit, 1), sig: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push appends ev, waiting while the queue is full; false when the queue
// was closed or done was closed first (ev is dropped).
func (q *fifo) push(ev load.Event, done <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return false
		}
		if len(q.items) < q.limit {
			q.items = append(q.items, ev)
			q.mu.Unlock()
			select {
			case q.sig <- struct{}{}:
			default:
			}
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-done:
			return false
		}
	}
}

// take returns every queued item, swapping in spare as the new backing
// slice; it waits while the queue is empty. ok is false once the queue is
// closed or done is closed.
func (q *fifo) take(spare []load.Event, done <-chan struct{}) ([]load.Event, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.items) > 0 {
			out := q.items
			q.items = spare[:0]
			q.mu.Unlock()
			select {
			case q.space <- struct{}{}:
			default:
			}
			return out, true
		}
		q.mu.Unlock()
		select {
		case <-q.sig:
		case <-done:
			return nil, false
		}
	}
}

func (q *fifo) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	for _, c := range []chan struct{}{q.sig, q.space} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}
