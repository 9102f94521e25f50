package netem

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"time"
)

// DefaultDialTimeout bounds FastHTTPDial, like fasthttp's own default dial
// timeout (fasthttp.DefaultDialTimeout, 3 s).
const DefaultDialTimeout = 3 * time.Second

// Dialer routes each destination address through its own Link, created on
// first use and kept for later connections. Because it works at dial time
// it needs no change on the server side: for Kafka every broker address the
// client learns from metadata gets its own link, so advertised listeners
// stay as they are, for the embedded broker and a real cluster alike.
//
// Use DialContext as a franz-go dialer (kgo.Dialer(d.DialContext)) and
// FastHTTPDial as fasthttp's Client.Dial / HostClient.Dial.
type Dialer struct {
	spec Spec
	net  net.Dialer

	mu        sync.Mutex
	links     map[string]*Link
	closed    bool
	windowEnd time.Time
}

// NewDialer returns a Dialer whose links all have spec.
func NewDialer(spec Spec) (*Dialer, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("netem: dialer: %w", err)
	}
	return &Dialer{spec: spec, links: map[string]*Link{}}, nil
}

// Spec is the network every link of d has.
func (d *Dialer) Spec() Spec { return d.spec }

// Link returns the link to addr, creating and starting it on first use.
// A link created during a partition window joins the window.
func (d *Dialer) Link(addr string) (*Link, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if l, ok := d.links[addr]; ok {
		return l, nil
	}
	l, err := StartLink(addr, d.spec)
	if err != nil {
		return nil, err
	}
	if rest := time.Until(d.windowEnd); rest > 0 {
		if err := l.Partition(rest); err != nil {
			l.Close()
			return nil, err
		}
	}
	d.links[addr] = l
	return l, nil
}

// Links maps each destination address to its link's local address, for
// logs and results.
func (d *Dialer) Links() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.links))
	for a, l := range d.links {
		out[a] = l.Addr()
	}
	return out
}

// DialContext connects to addr through its link. It has the signature of
// franz-go's kgo.Dialer. The TCP handshake with the local proxy is
// instant, so DialContext adds the handshake's round trip itself (2 x
// latency, with jitter) before returning, as a real connect over the link
// would take; during a partition it waits, like a SYN retried, until the
// window ends or ctx is done.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("netem: dial %s %s: only tcp is emulated", network, addr)
	}
	l, err := d.Link(addr)
	if err != nil {
		return nil, fmt.Errorf("netem: dial %s: %w", addr, err)
	}
	for l.Partitioned() {
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return nil, fmt.Errorf("netem: dial %s: partitioned: %w", addr, err)
		}
	}
	conn, err := d.net.DialContext(ctx, "tcp", l.Addr())
	if err != nil {
		return nil, fmt.Errorf("netem: dial %s via %s: %w", addr, l.Addr(), err)
	}
	if err := sleepCtx(ctx, d.handshake()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("netem: dial %s: %w", addr, err)
	}
	return conn, nil
}

// TLSDialContext returns a kgo.Dialer-shaped function that opens a TLS
// connection through the link. franz-go refuses kgo.Dialer together with
// kgo.DialTLSConfig, so a Kafka client over TLS uses
// kgo.Dialer(d.TLSDialContext(cfg)) instead. cfg's ServerName defaults to
// the host dialled. The handshake crosses the link and pays its round trips.
func (d *Dialer) TLSDialContext(cfg *tls.Config) func(ctx context.Context, network, host string) (net.Conn, error) {
	return func(ctx context.Context, network, host string) (net.Conn, error) {
		raw, err := d.DialContext(ctx, network, host)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c == nil {
			c = new(tls.Config)
		}
		if c.ServerName == "" {
			h, _, err := net.SplitHostPort(host)
			if err != nil {
				h = host
			}
			c.ServerName = h
		}
		tc := tls.Client(raw, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("netem: tls handshake with %s: %w", host, err)
		}
		return tc, nil
	}
}

// FastHTTPDial is a fasthttp.DialFunc: DialContext bounded by
// DefaultDialTimeout.
func (d *Dialer) FastHTTPDial(addr string) (net.Conn, error) {
	return d.FastHTTPDialTimeout(addr, DefaultDialTimeout)
}

// FastHTTPDialTimeout is a fasthttp.DialFuncWithTimeout.
func (d *Dialer) FastHTTPDialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, "tcp", addr)
}

// handshake is one emulated round trip: two one-way delays, each with its
// own jitter.
func (d *Dialer) handshake() time.Duration {
	oneWay := func() time.Duration {
		j := int64(d.spec.Jitter)
		if j <= 0 {
			return d.spec.Latency
		}
		return d.spec.Latency + time.Duration(rand.Int64N(2*j+1)-j)
	}
	if d.spec.Latency == 0 {
		return 0
	}
	return oneWay() + oneWay()
}

// Partition black-holes every link of d for dur (see Link.Partition);
// links first used during the window join it.
func (d *Dialer) Partition(dur time.Duration) error {
	if dur <= 0 {
		return fmt.Errorf("netem: partition of %v: the window must be > 0", dur)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if end := time.Now().Add(dur); end.After(d.windowEnd) {
		d.windowEnd = end
	}
	var errs []error
	for _, a := range sortedKeys(d.links) {
		if err := d.links[a].Partition(dur); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every link (and so every connection made through d).
func (d *Dialer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	for _, a := range sortedKeys(d.links) {
		errs = append(errs, d.links[a].Close())
	}
	d.links = nil
	return errors.Join(errs...)
}

func sortedKeys(m map[string]*Link) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
