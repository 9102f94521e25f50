package kafka

import (
	"errors"
	"sync"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The embedded broker (kfake) is one in-process node: there is no process
// to stop, kill or pause, no replica to fail over to and nothing on disk to
// lose. Broker faults are emulated with kfake's control hooks on the
// requests that carry data (Produce and Fetch), and every window and the
// point's notes say so:
//
//   - broker-pause: those requests are held until the window ends, then
//     answered normally (a broker that stops answering and comes back);
//   - broker-stop, broker-kill: the connection of each such request is
//     closed for the window (clients see a broker that is gone and retry),
//     and work again after it. Nothing the broker acknowledged is lost and
//     no leader is elected: that part of a real crash cannot be emulated.

// emulatedMethod describes how a kind is emulated on kfake.
func emulatedMethod(kind string) string {
	if kind == scenarios.FaultBrokerPause {
		return "emulated on the embedded broker (kfake control hooks): produce and fetch requests held for the window, then answered"
	}
	return "emulated on the embedded broker (kfake control hooks): connections closed on every produce and fetch request for the window; no process stopped, no leader election, nothing acknowledged lost"
}

var errEmulatedDown = errors.New("evbench: emulated broker fault: broker down")

// emulation is one fault window emulated on kfake.
type emulation struct {
	kind string
	mu   sync.Mutex
	on   bool
	end  chan struct{} // closed when the window ends
}

func (e *emulation) active() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.on
}

// install adds the control functions for Produce and Fetch. They stay in
// place while the window is active and drop themselves after it.
func (e *emulation) install(c *kfake.Cluster) {
	for _, key := range []int16{kmsg.Produce.Int16(), kmsg.Fetch.Int16()} {
		c.ControlKey(key, func(kmsg.Request) (kmsg.Response, error, bool) {
			if !e.active() {
				c.DropControl()
				return nil, nil, false
			}
			c.KeepControl()
			if e.kind == scenarios.FaultBrokerPause {
				c.SleepControl(func() { <-e.end })
				return nil, nil, false
			}
			return nil, errEmulatedDown, true
		})
	}
}

// runEmulated runs the faults on the embedded broker on the measured
// timeline (see BrokerFaults.run).
func (b *BrokerFaults) runEmulated(start int64) {
	defer close(b.done)
	for i, f := range b.faults {
		if !b.sleepUntil(start + int64(f.At)) {
			for _, g := range b.faults[i:] {
				b.mp.Note("kafka: broker fault %s of %s at %v did not start: the point ended before it", g.Kind, g.Target, g.At)
			}
			return
		}
		e := &emulation{kind: f.Kind, on: true, end: make(chan struct{})}
		at := load.Now()
		e.install(b.env.cluster)
		b.mp.Note("kafka: broker fault %s of %s at %v %s", f.Kind, f.Target, f.At, emulatedMethod(f.Kind))
		if f.For > 0 {
			b.sleepUntil(start + int64(f.At+f.For))
		} else {
			<-b.ctx.Done()
		}
		e.mu.Lock()
		e.on = false
		e.mu.Unlock()
		close(e.end)
		end := load.Now()
		b.mp.AddFaultWindow(results.FaultWindow{Kind: f.Kind, Target: f.Target, Node: 0, StartS: b.mp.SinceStart(at), EndS: b.mp.SinceStart(end),
			Applied: true, Method: emulatedMethod(f.Kind)})
		b.logf("kafka: broker fault %s of %s emulated on the embedded broker from %.1fs to %.1fs", f.Kind, f.Target, b.mp.SinceStart(at), b.mp.SinceStart(end))
	}
}
