package netem

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// Links is one point's emulated links, by name (results' link names): the
// runners add a link per network the scenario gives them, start the
// partition faults with the measured period (SetStart), record the links
// in results (Record) and close them all when the point ends (Close).
type Links struct {
	mu     sync.Mutex
	links  []*namedLink
	timers []*time.Timer
	errs   []error
	closed bool
	logf   func(format string, args ...any)
}

type namedLink struct {
	name       string
	net        scenarios.Network
	partitions []scenarios.Fault
	dialer     *Dialer
}

// NewLinks returns an empty set; logf (may be nil) reports partitions.
func NewLinks(logf func(format string, args ...any)) *Links {
	return &Links{logf: logf}
}

// Add registers link name with network n and the partition faults that
// apply to it. It returns the link's Dialer, or nil when the link needs
// no emulation (no network written, or loopback, and no partition): then
// the caller dials directly, as before network emulation existed.
func (ls *Links) Add(name string, n scenarios.Network, partitions []scenarios.Fault) (*Dialer, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return nil, ErrClosed
	}
	nl := &namedLink{name: name, net: n, partitions: partitions}
	if !n.Spec.IsZero() || len(partitions) > 0 {
		d, err := NewDialer(n.Spec)
		if err != nil {
			return nil, fmt.Errorf("netem: link %s: %w", name, err)
		}
		nl.dialer = d
	}
	if nl.dialer != nil || !n.IsZero() {
		ls.links = append(ls.links, nl)
	}
	return nl.dialer, nil
}

// SetStart schedules every partition fault from measuredStart (a
// load.Now() timestamp), as the fault timelines of the subscribers do; it
// has the shape runners.Point.Begin takes.
func (ls *Links) SetStart(measuredStart int64) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return
	}
	for _, nl := range ls.links {
		for _, f := range nl.partitions {
			nl, f := nl, f
			delay := time.Duration(measuredStart + int64(f.At.D()) - load.Now())
			ls.timers = append(ls.timers, time.AfterFunc(max(delay, 0), func() {
				err := nl.dialer.Partition(f.For.D())
				if ls.logf != nil {
					ls.logf("netem: partition of %s for %v (error: %v)", nl.name, f.For.D(), err)
				}
				if err != nil && !errors.Is(err, ErrClosed) {
					ls.mu.Lock()
					ls.errs = append(ls.errs, fmt.Errorf("netem: partition of %s: %w", nl.name, err))
					ls.mu.Unlock()
				}
			}))
		}
	}
}

// Record returns the links for results.Point.Network (nil when none).
func (ls *Links) Record() map[string]results.NetworkLink {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.links) == 0 {
		return nil
	}
	out := make(map[string]results.NetworkLink, len(ls.links))
	for _, nl := range ls.links {
		r := results.NetworkLink{Profile: nl.net.Profile, Spec: nl.net.Spec.String()}
		for _, f := range nl.partitions {
			r.Partitions = append(r.Partitions, fmt.Sprintf("%v+%v", f.At.D(), f.For.D()))
		}
		out[nl.name] = r
	}
	return out
}

// Close stops pending partitions and closes every dialer (and so every
// connection through them). It returns errors of partitions that failed.
func (ls *Links) Close() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return nil
	}
	ls.closed = true
	for _, t := range ls.timers {
		t.Stop()
	}
	errs := ls.errs
	for _, nl := range ls.links {
		if nl.dialer != nil {
			errs = append(errs, nl.dialer.Close())
		}
	}
	return errors.Join(errs...)
}
