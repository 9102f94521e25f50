package netem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"
)

// ErrClosed is returned by operations on a closed Link or Dialer.
var ErrClosed = errors.New("netem: closed")

var (
	serverOnce sync.Once
	server     *toxiproxy.ApiServer
	linkSeq    atomic.Int64
)

// apiServer is the Toxiproxy server value every proxy needs for its logger
// and metrics. Its HTTP API is never started: links are driven in-process.
// Toxiproxy logs through zerolog, some toxics through zerolog's global
// logger, so that is silenced too: a benchmark's stderr is for its own
// progress, and evbench does not otherwise use zerolog.
func apiServer() *toxiproxy.ApiServer {
	serverOnce.Do(func() {
		zlog.Logger = zerolog.Nop()
		server = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	})
	return server
}

// Link is one emulated network link: a Toxiproxy proxy listening on
// 127.0.0.1:0 that forwards every connection to an upstream address through
// the toxics its Spec asks for. Connect to Addr instead of the upstream.
type Link struct {
	spec     Spec
	upstream string
	proxy    *toxiproxy.Proxy

	mu          sync.Mutex
	started     bool
	closed      bool
	partitioned bool
	timer       *time.Timer
	windowEnd   time.Time
}

// NewLink builds a link to upstream (host:port) with spec's toxics. It does
// not listen until Start.
func NewLink(upstream string, spec Spec) (*Link, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("netem: link to %s: %w", upstream, err)
	}
	if strings.TrimSpace(upstream) == "" {
		return nil, fmt.Errorf("netem: link: empty upstream address")
	}
	name := fmt.Sprintf("netem-%d-%s", linkSeq.Add(1), upstream)
	p := toxiproxy.NewProxy(apiServer(), name, "127.0.0.1:0", upstream)
	l := &Link{spec: spec, upstream: upstream, proxy: p}
	for _, t := range specToxics(spec) {
		if err := l.addToxic(t); err != nil {
			return nil, fmt.Errorf("netem: link to %s: %w", upstream, err)
		}
	}
	return l, nil
}

// StartLink is NewLink followed by Start.
func StartLink(upstream string, spec Spec) (*Link, error) {
	l, err := NewLink(upstream, spec)
	if err != nil {
		return nil, err
	}
	if err := l.Start(); err != nil {
		return nil, err
	}
	return l, nil
}

// Start listens on 127.0.0.1 on an ephemeral port.
func (l *Link) Start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.started {
		return nil
	}
	if err := l.proxy.Start(); err != nil {
		return fmt.Errorf("netem: link to %s: listen: %w", l.upstream, err)
	}
	l.started = true
	return nil
}

// Addr is the address to connect to instead of the upstream (valid after
// Start).
func (l *Link) Addr() string {
	l.proxy.Lock()
	defer l.proxy.Unlock()
	return l.proxy.Listen
}

// Upstream is the address the link forwards to.
func (l *Link) Upstream() string { return l.upstream }

// Spec is the link's network.
func (l *Link) Spec() Spec { return l.spec }

// Close stops listening, ends any partition window and closes every
// connection through the link. Closing twice is harmless.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	l.proxy.Stop()
	return nil
}

// Partition black-holes the link now for d: everything sent either way is
// dropped and new connections are accepted but carry nothing. When the
// window ends, every connection that was open during it is closed (the
// bytes dropped in it left those streams broken, as Toxiproxy's timeout
// toxic does) and new connections work again. Calling it during a window
// extends the window to end d from now if that is later.
func (l *Link) Partition(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("netem: partition of %v: the window must be > 0", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	end := time.Now().Add(d)
	if l.partitioned && !end.After(l.windowEnd) {
		return nil
	}
	if !l.partitioned {
		if err := l.setPartitionLocked(true); err != nil {
			return err
		}
	}
	l.windowEnd = end
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = time.AfterFunc(d, l.endWindow)
	return nil
}

// endWindow ends the partition window unless it was extended meanwhile.
func (l *Link) endWindow() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || !l.partitioned || time.Now().Before(l.windowEnd) {
		return
	}
	_ = l.setPartitionLocked(false) // only fails if the toxic is gone, i.e. already healed
	l.timer = nil
}

// SetPartitioned switches the black hole on or off with no time limit; off
// ends a window started by Partition.
func (l *Link) SetPartitioned(on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if on {
		l.windowEnd = time.Time{}
	}
	if on == l.partitioned {
		return nil
	}
	return l.setPartitionLocked(on)
}

// Partitioned reports whether the black hole is on.
func (l *Link) Partitioned() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.partitioned
}

const (
	partitionUp   = "partition_upstream"
	partitionDown = "partition_downstream"
)

func (l *Link) setPartitionLocked(on bool) error {
	if on {
		for _, t := range []toxic{
			{Name: partitionUp, Type: "timeout", Stream: "upstream", Toxicity: 1, Attributes: map[string]any{"timeout": 0}},
			{Name: partitionDown, Type: "timeout", Stream: "downstream", Toxicity: 1, Attributes: map[string]any{"timeout": 0}},
		} {
			if err := l.addToxic(t); err != nil {
				return fmt.Errorf("netem: link to %s: partition: %w", l.upstream, err)
			}
		}
		l.partitioned = true
		return nil
	}
	l.partitioned = false
	var errs []error
	for _, n := range []string{partitionUp, partitionDown} {
		if err := l.proxy.Toxics.RemoveToxic(context.Background(), n); err != nil {
			errs = append(errs, fmt.Errorf("netem: link to %s: heal partition: %w", l.upstream, err))
		}
	}
	return errors.Join(errs...)
}

// toxic is the JSON form Toxiproxy's ToxicCollection.AddToxicJson reads.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

func (l *Link) addToxic(t toxic) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("toxic %s: %w", t.Name, err)
	}
	if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(string(b))); err != nil {
		return fmt.Errorf("toxic %s: %w", t.Name, err)
	}
	return nil
}

// specToxics translates a Spec into Toxiproxy toxics. Order matters in a
// chain: latency comes before bandwidth so a chunk pays both (the stock
// bandwidth toxic does not move a chunk's timestamp, so latency placed
// after it would swallow the transmission time instead of adding to it).
func specToxics(s Spec) []toxic {
	var out []toxic
	both := func(name, typ string, attrs map[string]any) {
		for _, dir := range []string{"upstream", "downstream"} {
			out = append(out, toxic{Name: name + "_" + dir, Type: typ, Stream: dir, Toxicity: 1, Attributes: attrs})
		}
	}
	if s.Latency > 0 {
		both("latency", latencyToxicType, map[string]any{"latency_ns": int64(s.Latency), "jitter_ns": int64(s.Jitter)})
	}
	if s.Bandwidth > 0 {
		both("bandwidth", "bandwidth", map[string]any{"rate": (s.Bandwidth + 500) / 1000}) // KB/s
	}
	if s.SlowClose > 0 {
		both("slow_close", "slow_close", map[string]any{"delay": s.SlowClose.Milliseconds()})
	}
	if s.DataLimit > 0 {
		both("limit_data", "limit_data", map[string]any{"bytes": s.DataLimit})
	}
	// Resets and black holes act on the client's first bytes, so they sit
	// on the upstream direction only: one roll of the dice per connection.
	if s.ResetProbability > 0 {
		out = append(out, toxic{Name: "reset_peer", Type: "reset_peer", Stream: "upstream",
			Toxicity: s.ResetProbability, Attributes: map[string]any{"timeout": s.ResetAfter.Milliseconds()}})
	}
	if s.BlackholeProbability > 0 {
		out = append(out, toxic{Name: "blackhole", Type: "timeout", Stream: "upstream",
			Toxicity: s.BlackholeProbability, Attributes: map[string]any{"timeout": s.BlackholeTimeout.Milliseconds()}})
	}
	return out
}
