package netem

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// Compile-time checks that the dial methods fit the libraries' types.
var (
	_ fasthttp.DialFunc            = (*Dialer)(nil).FastHTTPDial
	_ fasthttp.DialFuncWithTimeout = (*Dialer)(nil).FastHTTPDialTimeout
	_                              = kgo.Dialer((*Dialer)(nil).DialContext)
)

func newDialer(t *testing.T, s Spec) *Dialer {
	t.Helper()
	d, err := NewDialer(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// produceMedian produces n records one at a time (each waits for its ack)
// and returns the median produce latency, after one warm-up record that
// pays for connections, metadata and the producer id.
func produceMedian(t *testing.T, cl *kgo.Client, topic string, n int) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("warm-up")}).FirstErr(); err != nil {
		t.Fatalf("warm-up produce: %v", err)
	}
	lat := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "r%d", i)}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		lat = append(lat, time.Since(start))
	}
	return median(lat)
}

// TestDialerKafka runs franz-go through the dialer against an embedded
// kfake broker: a 10 ms link must add at least 20 ms (one round trip) to
// the produce latency, and consuming through the link reads every record.
func TestDialerKafka(t *testing.T) {
	const topic, n = "netem", 10
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	seeds := c.ListenAddrs()
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.ProducerLinger(0), kgo.DefaultProduceTopic(topic)}

	direct, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	base := produceMedian(t, direct, topic, n)

	d := newDialer(t, Spec{Latency: 10 * time.Millisecond})
	viaLink, err := kgo.NewClient(append(opts, kgo.Dialer(d.DialContext))...)
	if err != nil {
		t.Fatal(err)
	}
	defer viaLink.Close()
	linked := produceMedian(t, viaLink, topic, n)
	t.Logf("produce p50 direct %v, through a 10 ms link %v (+%v); links %v", base, linked, linked-base, d.Links())
	if linked-base < 20*time.Millisecond {
		t.Errorf("a 10 ms link added %v to produce latency, want >= 20ms", linked-base)
	}
	if linked-base > 80*time.Millisecond {
		t.Errorf("a 10 ms link added %v to produce latency, want about 20ms", linked-base)
	}
	if _, ok := d.Links()[seeds[0]]; !ok {
		t.Errorf("no link for the broker %s: %v", seeds[0], d.Links())
	}

	// Consume everything produced (2 x (1 warm-up + n)) through a fresh link.
	dc := newDialer(t, Spec{Latency: 10 * time.Millisecond})
	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.Dialer(dc.DialContext),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := 0
	for got < 2*(n+1) {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, 2*(n+1), err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		got += fs.NumRecords()
	}
	if got != 2*(n+1) {
		t.Errorf("consumed %d records, want %d", got, 2*(n+1))
	}
}

// TestDialerFastHTTP sends fasthttp requests to a plain net/http server
// through a 20 ms link: a new connection pays the TCP handshake plus the
// request (2 round trips), keep-alive requests one round trip.
func TestDialerFastHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	d := newDialer(t, Spec{Latency: 20 * time.Millisecond})
	cl := &fasthttp.Client{Dial: d.FastHTTPDial, MaxConnsPerHost: 1}
	var lat []time.Duration
	for i := range 8 {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(fmt.Sprintf("%s/%d", srv.URL, i))
		start := time.Now()
		err := cl.DoTimeout(req, resp, 5*time.Second)
		el := time.Since(start)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.StatusCode() != 200 || string(resp.Body()) != fmt.Sprintf("ok /%d", i) {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode(), resp.Body())
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
		lat = append(lat, el)
	}
	t.Logf("first request %v (new connection), keep-alive p50 %v", lat[0], median(lat[1:]))
	if lat[0] < 80*time.Millisecond {
		t.Errorf("first request %v, want >= 80ms (handshake + request round trips)", lat[0])
	}
	if m := median(lat[1:]); m < 40*time.Millisecond || m > 70*time.Millisecond {
		t.Errorf("keep-alive p50 %v, want within [40ms, 70ms]", m)
	}
	host := srv.Listener.Addr().String()
	if _, ok := d.Links()[host]; !ok || len(d.Links()) != 1 {
		t.Errorf("links %v, want one for %s", d.Links(), host)
	}
}

// TestDialerPartition: during a window a new dial waits for the window to
// end (a SYN retried), existing connections stall and are closed, and
// links created in the window join it.
func TestDialerPartition(t *testing.T) {
	up := serve(t, echo)
	up2 := serve(t, echo)
	d := newDialer(t, Spec{})
	ctx := context.Background()
	c, err := d.DialContext(ctx, "tcp", up)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := roundTrip(c, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	const window = 600 * time.Millisecond
	if err := d.Partition(window); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l2, err := d.Link(up2) // first used during the window
	if err != nil {
		t.Fatal(err)
	}
	if !l2.Partitioned() {
		t.Error("a link created during the window is not partitioned")
	}
	c2, err := d.DialContext(ctx, "tcp", up)
	waited := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if waited < window-100*time.Millisecond {
		t.Errorf("dial during the window returned after %v, want it to wait about %v", waited, window)
	}
	if _, err := roundTrip(c2, 2*time.Second); err != nil {
		t.Errorf("connection dialled after the window: %v", err)
	}
	if _, err := roundTrip(c, 2*time.Second); err == nil {
		t.Error("a connection open during the window still works; want it closed")
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := d.Partition(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DialContext(short, "tcp", up); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial with a short deadline in a window: %v, want DeadlineExceeded", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DialContext(ctx, "tcp", up); !errors.Is(err, ErrClosed) {
		t.Errorf("dial after Close: %v, want ErrClosed", err)
	}
	if _, err := d.DialContext(ctx, "udp", up); err == nil {
		t.Error("udp dial accepted")
	}
}

// TestDialerHandshake: DialContext returns only after one emulated round
// trip, as a real TCP connect over the link would.
func TestDialerHandshake(t *testing.T) {
	up := serve(t, echo)
	d := newDialer(t, Spec{Latency: 30 * time.Millisecond})
	var els []time.Duration
	for range 5 {
		start := time.Now()
		c, err := d.DialContext(context.Background(), "tcp", up)
		if err != nil {
			t.Fatal(err)
		}
		els = append(els, time.Since(start))
		c.Close()
	}
	t.Logf("connects: %v", els)
	if slices.Min(els) < 60*time.Millisecond {
		t.Errorf("a connect took %v, less than one round trip (60ms)", slices.Min(els))
	}
	if m := median(els); m > 120*time.Millisecond {
		t.Errorf("connect p50 %v, want about one round trip (60ms)", m)
	}
}

// TestDialerTLS: a TLS 1.3 connection through a 20 ms link pays the TCP
// connect (one round trip) and the TLS handshake (one more) before it is
// returned, then carries an HTTP request to a net/http TLS server.
func TestDialerTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	d := newDialer(t, Spec{Latency: 20 * time.Millisecond})
	dial := d.TLSDialContext(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})
	host := srv.Listener.Addr().String()
	var els []time.Duration
	for i := range 3 {
		start := time.Now()
		c, err := dial(context.Background(), "tcp", host)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		els = append(els, time.Since(start))
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("response %d %q", resp.StatusCode, body)
		}
	}
	t.Logf("TCP connect + TLS 1.3 handshake through a 20 ms link: %v", els)
	if slices.Min(els) < 80*time.Millisecond {
		t.Errorf("connect + handshake took %v, less than 2 round trips (80ms)", slices.Min(els))
	}
	if m := median(els); m > 160*time.Millisecond {
		t.Errorf("connect + handshake p50 %v, want about 2 round trips (80ms)", m)
	}
}
