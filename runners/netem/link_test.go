package netem

import (
	"errors"
	"io"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"
)

// serve accepts connections on 127.0.0.1 and runs handle for each until the
// test ends.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echo writes back whatever it reads.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

func startLink(t *testing.T, upstream string, s Spec) *Link {
	t.Helper()
	l, err := StartLink(upstream, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends one byte and waits for its echo.
func roundTrip(c net.Conn, timeout time.Duration) (time.Duration, error) {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := c.Write([]byte{'x'}); err != nil {
		return 0, err
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestLinkRoundTrip checks the one-way convention: latency L adds 2L to a
// request/response round trip on one keep-alive connection.
func TestLinkRoundTrip(t *testing.T) {
	up := serve(t, echo)
	cases := []struct {
		name     string
		spec     Spec
		min, max time.Duration // bounds on the median; max has room for a loaded 2-core machine
	}{
		{"none", Spec{}, 0, 10 * time.Millisecond},
		{"10ms", Spec{Latency: 10 * time.Millisecond}, 20 * time.Millisecond, 35 * time.Millisecond},
		{"50ms", Spec{Latency: 50 * time.Millisecond}, 100 * time.Millisecond, 130 * time.Millisecond},
		{"20ms+-10ms", Spec{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}, 30 * time.Millisecond, 60 * time.Millisecond},
	}
	const n = 15
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := startLink(t, up, tc.spec)
			c := dial(t, l.Addr())
			rtts := make([]time.Duration, 0, n)
			for range n {
				d, err := roundTrip(c, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				rtts = append(rtts, d)
			}
			m := median(rtts)
			t.Logf("median round trip %v over %d (min %v, max %v): %v", m, n, slices.Min(rtts), slices.Max(rtts), rtts)
			if m < tc.min || m > tc.max {
				t.Errorf("median round trip %v, want within [%v, %v]", m, tc.min, tc.max)
			}
			// No sample may beat the emulated minimum: 2 x (latency - jitter).
			if floor := 2 * (tc.spec.Latency - tc.spec.Jitter); slices.Min(rtts) < floor {
				t.Errorf("fastest round trip %v beats the floor %v", slices.Min(rtts), floor)
			}
			if tc.spec.Jitter > 0 && slices.Max(rtts)-slices.Min(rtts) < tc.spec.Jitter/2 {
				t.Errorf("round trips %v..%v show no jitter", slices.Min(rtts), slices.Max(rtts))
			}
		})
	}
}

// TestLinkBandwidth sends 512 KiB through a 1 MiB/s link and measures the
// rate at which the server received it.
func TestLinkBandwidth(t *testing.T) {
	const size = 512 << 10
	up := serve(t, func(c net.Conn) {
		if _, err := io.CopyN(io.Discard, c, size); err == nil {
			_, _ = c.Write([]byte{'k'})
		}
	})
	spec := Spec{Bandwidth: 1 << 20}
	l := startLink(t, up, spec)
	c := dial(t, l.Addr())
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	rate := float64(size) / el.Seconds()
	t.Logf("512 KiB in %v: %.0f B/s through a %d B/s link", el, rate, spec.Bandwidth)
	if lo, hi := 0.6*float64(spec.Bandwidth), 1.1*float64(spec.Bandwidth); rate < lo || rate > hi {
		t.Errorf("measured %.0f B/s, want within [%.0f, %.0f]", rate, lo, hi)
	}
}

// TestLinkPartition opens a black-hole window on a working connection: the
// request stalls for the window, the connection is closed at its end, and a
// new connection works at once.
func TestLinkPartition(t *testing.T) {
	up := serve(t, echo)
	l := startLink(t, up, Spec{Latency: time.Millisecond})
	c := dial(t, l.Addr())
	if _, err := roundTrip(c, 2*time.Second); err != nil {
		t.Fatalf("before the window: %v", err)
	}
	const window = time.Second
	if err := l.Partition(window); err != nil {
		t.Fatal(err)
	}
	if !l.Partitioned() {
		t.Fatal("Partitioned() = false during the window")
	}
	start := time.Now()
	_, err := roundTrip(c, 5*time.Second)
	stalled := time.Since(start)
	t.Logf("request in the window: %v after %v", err, stalled)
	if err == nil {
		t.Fatal("a round trip crossed a black hole")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection stayed open past the window (%v): want it closed when the window ends", err)
	}
	if stalled < window-100*time.Millisecond || stalled > window+time.Second {
		t.Errorf("stalled %v, want about the %v window", stalled, window)
	}
	if l.Partitioned() {
		t.Fatal("still partitioned after the window")
	}
	c2 := dial(t, l.Addr())
	if d, err := roundTrip(c2, 2*time.Second); err != nil {
		t.Fatalf("after the window: %v", err)
	} else {
		t.Logf("round trip after the window: %v", d)
	}
	// SetPartitioned switches by hand; a new connection made during it
	// carries nothing.
	if err := l.SetPartitioned(true); err != nil {
		t.Fatal(err)
	}
	c3 := dial(t, l.Addr())
	if _, err := roundTrip(c3, 300*time.Millisecond); err == nil {
		t.Fatal("a new connection crossed the black hole")
	}
	if err := l.SetPartitioned(false); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(dial(t, l.Addr()), 2*time.Second); err != nil {
		t.Fatalf("after SetPartitioned(false): %v", err)
	}
}

// TestLinkResets: with reset_probability 1 every connection is reset (TCP
// RST) on first use; with 0 none is.
func TestLinkResets(t *testing.T) {
	up := serve(t, echo)
	for _, tc := range []struct {
		p         float64
		wantReset bool
	}{{1, true}, {0, false}} {
		l := startLink(t, up, Spec{ResetProbability: tc.p})
		for i := range 5 {
			_, err := roundTrip(dial(t, l.Addr()), 3*time.Second)
			reset := errors.Is(err, syscall.ECONNRESET)
			if reset != tc.wantReset {
				t.Errorf("p=%v connection %d: err %v, want reset %v", tc.p, i, err, tc.wantReset)
			}
			if !tc.wantReset && err != nil {
				t.Errorf("p=%v connection %d: %v", tc.p, i, err)
			}
		}
	}
}

// TestLinkDataLimit: the server sends 1000 bytes, the link lets 100 through
// and then closes the connection.
func TestLinkDataLimit(t *testing.T) {
	up := serve(t, func(c net.Conn) { _, _ = c.Write(make([]byte, 1000)) })
	l := startLink(t, up, Spec{DataLimit: 100})
	c := dial(t, l.Addr())
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Errorf("read %d bytes, want 100", len(got))
	}
}

// TestLinkSlowClose: the server closes at once; the client sees the close
// only after the slow_close delay.
func TestLinkSlowClose(t *testing.T) {
	up := serve(t, func(c net.Conn) { _, _ = c.Write([]byte("hi")) })
	const delay = 300 * time.Millisecond
	l := startLink(t, up, Spec{SlowClose: delay})
	start := time.Now()
	c := dial(t, l.Addr())
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	got, err := io.ReadAll(c)
	el := time.Since(start)
	if err != nil || string(got) != "hi" {
		t.Fatalf("read %q, %v", got, err)
	}
	if el < delay-20*time.Millisecond {
		t.Errorf("close seen after %v, want >= %v", el, delay)
	}
}

func TestLinkClose(t *testing.T) {
	up := serve(t, echo)
	l := startLink(t, up, Spec{})
	c := dial(t, l.Addr())
	if _, err := roundTrip(c, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(c, 2*time.Second); err == nil {
		t.Error("a connection survived Close")
	}
	if _, err := net.DialTimeout("tcp", l.Addr(), time.Second); err == nil {
		t.Error("the link still listens after Close")
	}
	if err := l.Partition(time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("Partition after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestLinkBlackhole: with blackhole_probability 1 every connection swallows
// the client's bytes and is closed after blackhole_timeout.
func TestLinkBlackhole(t *testing.T) {
	up := serve(t, echo)
	const timeout = 300 * time.Millisecond
	l := startLink(t, up, Spec{BlackholeProbability: 1, BlackholeTimeout: timeout})
	start := time.Now()
	_, err := roundTrip(dial(t, l.Addr()), 3*time.Second)
	el := time.Since(start)
	if err == nil {
		t.Fatal("a round trip crossed a black hole")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection not closed after blackhole_timeout: %v", err)
	}
	if el < timeout-20*time.Millisecond || el > timeout+time.Second {
		t.Errorf("closed after %v, want about %v", el, timeout)
	}
}

// TestLinkOneWayEachDirection: latency is added once upstream and once
// downstream, so each half of a round trip takes the latency (not the whole
// round trip on one side). Client and server share one clock here.
func TestLinkOneWayEachDirection(t *testing.T) {
	const lat = 40 * time.Millisecond
	arrived := make(chan time.Time, 1)
	replied := make(chan time.Time, 1)
	up := serve(t, func(c net.Conn) {
		var b [1]byte
		for {
			if _, err := io.ReadFull(c, b[:]); err != nil {
				return
			}
			arrived <- time.Now()
			replied <- time.Now()
			if _, err := c.Write(b[:]); err != nil {
				return
			}
		}
	})
	l := startLink(t, up, Spec{Latency: lat})
	c := dial(t, l.Addr())
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var ups, downs []time.Duration
	for range 5 {
		sent := time.Now()
		if _, err := c.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
		back := time.Now()
		ups = append(ups, (<-arrived).Sub(sent))
		downs = append(downs, back.Sub(<-replied))
	}
	t.Logf("one way: upstream p50 %v, downstream p50 %v", median(ups), median(downs))
	for dir, ds := range map[string][]time.Duration{"upstream": ups, "downstream": downs} {
		if m := median(ds); m < lat || m > lat+20*time.Millisecond {
			t.Errorf("%s one-way p50 %v, want within [%v, %v]", dir, m, lat, lat+20*time.Millisecond)
		}
	}
}
