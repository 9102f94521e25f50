package webhook

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/internal/sparsehist"
)

// Per-attempt phases (issue 11 item 4): the dispatcher dials connections
// itself and does the TLS handshake in the dial, timing both, and wraps
// each connection to time the first byte of every answer after the
// request was written. An attempt finds its connection by the local port
// the response came in on (fasthttp's Response.LocalAddr): a connection it
// opened carries its connect and handshake times, a reused one costs 0.

// Phases records one subscriber's per-attempt split: connect, TLS
// handshake, time to first byte (µs histograms). Safe for concurrent use.
type Phases struct {
	mu sync.Mutex
	// Sparse while they hold few distinct values (1,000 subscribers keep
	// 3,000 of them): runners/internal/sparsehist.
	connect   *sparsehist.Hist
	handshake *sparsehist.Hist
	ttfb      *sparsehist.Hist
	newConns  int64
}

// NewPhases returns an empty recorder.
func NewPhases() *Phases {
	h := func() *sparsehist.Hist { return sparsehist.New(results.HistMin, results.HistMax, results.HistDigits) }
	return &Phases{connect: h(), handshake: h(), ttfb: h()}
}

func (p *Phases) record(connect, handshake, ttfb time.Duration, fresh bool) {
	p.mu.Lock()
	_ = p.connect.RecordValue(connect.Microseconds())
	_ = p.handshake.RecordValue(handshake.Microseconds())
	_ = p.ttfb.RecordValue(ttfb.Microseconds())
	if fresh {
		p.newConns++
	}
	p.mu.Unlock()
}

// Result renders the split for results.json; keepAlive is the subscriber's
// connection mode.
func (p *Phases) Result(keepAlive bool) (*results.AttemptPhases, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &results.AttemptPhases{KeepAlive: keepAlive, NewConnections: p.newConns}
	for _, x := range []struct {
		h   *sparsehist.Hist
		dst *results.Latency
	}{{p.connect, &out.Connect}, {p.handshake, &out.TLS}, {p.ttfb, &out.TTFB}} {
		var l results.Latency
		err := x.h.Use(func(h *hdr.Histogram) (err error) {
			l, err = results.NewLatency(h)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("attempt phases: %w", err)
		}
		*x.dst = l
	}
	return out, nil
}

// monoBase anchors mono: a monotonic clock in nanoseconds.
var monoBase = time.Now()

func mono() int64 { return int64(time.Since(monoBase)) }

// timedConn is a connection the dispatcher opened: it knows what opening
// it cost and times the first answer byte after each request.
type timedConn struct {
	net.Conn // *tls.Conn over a countingConn, or the countingConn
	e        *endpoint
	port     int

	connect, handshake time.Duration
	fresh              atomic.Bool // its opening cost is not yet claimed by an attempt
	wrote              atomic.Int64
	awaiting           atomic.Bool
	ttfb               atomic.Int64
	closed             atomic.Bool
}

// Handshake makes fasthttp take the connection as already secured (it
// does not wrap a connection with this method in TLS again).
func (c *timedConn) Handshake() error {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		return tc.Handshake()
	}
	return nil
}

func (c *timedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.wrote.Store(mono())
	c.awaiting.Store(true)
	return n, err
}

func (c *timedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.awaiting.Swap(false) {
		c.ttfb.Store(mono() - c.wrote.Load())
	}
	return n, err
}

func (c *timedConn) Close() error {
	if !c.closed.Swap(true) {
		c.e.conns.closed(c)
	}
	return c.Conn.Close()
}

// connTable finds an endpoint's connections by local port. Open
// connections are at most max_in_flight; a closed one stays until the
// attempt that used it claims its figures or, at the latest, until
// 2 x max_in_flight + 16 more have closed (an attempt reads its figures
// right after its answer, so by then nobody will), so memory is bounded.
type connTable struct {
	mu     sync.Mutex
	byPort map[int]*timedConn
	gone   []*timedConn // ring of closed, unclaimed connections
	next   int
}

func (t *connTable) init(max int) {
	t.byPort = make(map[int]*timedConn)
	t.gone = make([]*timedConn, 2*max+16)
}

func (t *connTable) add(c *timedConn) {
	t.mu.Lock()
	t.byPort[c.port] = c
	t.mu.Unlock()
}

func (t *connTable) closed(c *timedConn) {
	t.mu.Lock()
	if old := t.gone[t.next]; old != nil && t.byPort[old.port] == old {
		delete(t.byPort, old.port)
	}
	t.gone[t.next] = c
	t.next = (t.next + 1) % len(t.gone)
	t.mu.Unlock()
}

// lookup returns the connection an answer came in on, or nil; a closed one
// is removed, as only the attempt that used it last wants it.
func (t *connTable) lookup(addr net.Addr) *timedConn {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	t.mu.Lock()
	c := t.byPort[ta.Port]
	if c != nil && c.closed.Load() {
		delete(t.byPort, ta.Port)
	}
	t.mu.Unlock()
	return c
}

// phases records the split of an answered attempt when it is measured. A
// warm-up attempt still claims the cost of the connection it opened, so a
// measured attempt reusing that connection does not pay it again.
func (e *endpoint) phases(laddr net.Addr, measured bool) {
	if e.ph == nil {
		return
	}
	c := e.conns.lookup(laddr)
	if !measured {
		if c != nil {
			c.fresh.Store(false)
		}
		return
	}
	if c == nil {
		// Not one of ours (cannot happen with the dispatcher's dial); the
		// attempt is still counted, with nothing known about it.
		e.ph.record(0, 0, 0, false)
		return
	}
	var connect, handshake time.Duration
	fresh := c.fresh.Swap(false)
	if fresh {
		connect, handshake = c.connect, c.handshake
	}
	e.ph.record(connect, handshake, time.Duration(c.ttfb.Load()), fresh)
}

// dial opens a connection for e: TCP, then (https) the TLS handshake,
// timing both, counting it and the bytes written to it.
func (e *endpoint) dial(addr string, timeout time.Duration) (net.Conn, error) {
	d := e.d
	if timeout <= 0 || timeout > d.timeout {
		timeout = d.timeout
	}
	t0 := time.Now()
	var raw net.Conn
	var err error
	if e.tcpDial != nil {
		raw, err = e.tcpDial(addr, timeout)
	} else {
		raw, err = net.DialTimeout("tcp", addr, timeout)
	}
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	d.dials.Add(1)
	var conn net.Conn = &countingConn{Conn: raw, d: d}
	var hs time.Duration
	if e.client.IsTLS {
		tc := tls.Client(conn, e.tls)
		_ = raw.SetDeadline(t0.Add(timeout))
		if err := tc.Handshake(); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
		}
		_ = raw.SetDeadline(time.Time{})
		hs = time.Since(t1)
		conn = tc
	}
	c := &timedConn{Conn: conn, e: e, connect: t1.Sub(t0), handshake: hs}
	if ta, ok := raw.LocalAddr().(*net.TCPAddr); ok {
		c.port = ta.Port
	}
	c.fresh.Store(true)
	e.conns.add(c)
	return c, nil
}
