package kafka

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The embedded broker (kfake) runs in-process nodes (as many as the
// replication factor needs: Settings.EmbeddedNodes): there is no process to
// stop, kill or pause and nothing on disk to lose. Broker faults are
// emulated with kfake's control hooks on the requests that carry data
// (Produce and Fetch) sent to the target node, and every window and the
// point's notes say so:
//
//   - broker-pause: those requests are held until the window ends, then
//     answered normally (a broker that stops answering and comes back);
//   - broker-stop, broker-kill: the connection of each such request is
//     closed for the window (clients see a broker that is gone and retry),
//     and work again after it. With more than one node, the partitions the
//     target led move to the other nodes when the window starts (an
//     emulated leader election: clients fail over) and stay there. Nothing
//     the broker acknowledged is lost (the nodes share one in-memory log):
//     that part of a real crash cannot be emulated.
//
// The target resolves on the embedded nodes: "leader" and "leader of
// partition N" to the partition's leader, "controller" to the node the
// metadata names controller, "node N" to the N-th node (kfake numbers its
// nodes from 0: node N is kfake node N-1).

// emulatedMethod describes how a kind is emulated on kfake; moved is the
// number of partition leaders moved off the node, nodes the cluster size.
func emulatedMethod(kind string, nodes, moved int) string {
	const pre = "emulated on the embedded broker (kfake control hooks): "
	on := "produce and fetch requests"
	if nodes > 1 {
		on = fmt.Sprintf("produce and fetch requests to the target node (one of %d in-process nodes)", nodes)
	}
	if kind == scenarios.FaultBrokerPause {
		return pre + on + " held for the window, then answered"
	}
	m := pre + "connections closed on " + on + " for the window; no process stopped"
	if nodes > 1 {
		m += fmt.Sprintf(", %d partition leader(s) moved to the other nodes at the start (emulated election)", moved)
	} else {
		m += ", no leader election"
	}
	return m + ", nothing acknowledged lost (one shared in-memory log)"
}

var errEmulatedDown = errors.New("evbench: emulated broker fault: broker down")

// emulation is one fault window emulated on kfake.
type emulation struct {
	kind string
	node int32 // the target node; -1: every node (a one-node cluster)
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
			if e.node >= 0 && c.CurrentNode() != e.node {
				return nil, nil, false
			}
			if e.kind == scenarios.FaultBrokerPause {
				c.SleepControl(func() { <-e.end })
				return nil, nil, false
			}
			return nil, errEmulatedDown, true
		})
	}
}

// embeddedTarget resolves a fault's target on the embedded nodes.
func (b *BrokerFaults) embeddedTarget(f scenarios.BrokerFault) (int32, error) {
	c, nodes := b.env.cluster, int32(len(b.env.Brokers))
	t := strings.TrimSpace(f.Target)
	switch {
	case t == "leader" || strings.HasPrefix(t, "leader of partition "):
		part := int64(0)
		if rest, ok := strings.CutPrefix(t, "leader of partition "); ok {
			var err error
			if part, err = strconv.ParseInt(strings.TrimSpace(rest), 10, 32); err != nil {
				return 0, fmt.Errorf("target %q: %w", t, err)
			}
		}
		if n := c.LeaderFor(b.env.Topic, int32(part)); n >= 0 {
			return n, nil
		}
		return 0, fmt.Errorf("target %q: partition %d of %s not found", t, part, b.env.Topic)
	case t == "controller":
		meta, err := freshMetadata(b.ctx, b.env)
		if err != nil {
			return 0, fmt.Errorf("target controller: %w", err)
		}
		return meta.ControllerID, nil
	case strings.HasPrefix(t, "node "):
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(t, "node ")), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("target %q: %w", t, err)
		}
		if n < 1 || int32(n) > nodes {
			if nodes == 1 {
				return 0, nil // the only node: as before multi-node emulation
			}
			return 0, fmt.Errorf("target %q: the embedded broker has nodes 1 to %d", t, nodes)
		}
		return int32(n) - 1, nil
	}
	return 0, fmt.Errorf("target %q: not a broker fault target", t)
}

// moveLeaders moves the partitions node leads to the other nodes, round
// robin (an emulated leader election), and returns how many moved.
func (b *BrokerFaults) moveLeaders(node int32) int {
	c, nodes := b.env.cluster, int32(len(b.env.Brokers))
	moved := 0
	next := (node + 1) % nodes
	for p := int32(0); p < b.env.Settings.Partitions; p++ {
		if c.LeaderFor(b.env.Topic, p) != node {
			continue
		}
		if err := c.MoveTopicPartition(b.env.Topic, p, next); err == nil {
			moved++
		}
		if next = (next + 1) % nodes; next == node {
			next = (next + 1) % nodes
		}
	}
	return moved
}

// runEmulated runs the faults on the embedded broker on the measured
// timeline (see BrokerFaults.run).
func (b *BrokerFaults) runEmulated(start int64) {
	defer close(b.done)
	nodes := len(b.env.Brokers)
	for i, f := range b.faults {
		if !b.sleepUntil(start + int64(f.At)) {
			for _, g := range b.faults[i:] {
				b.mp.Note("kafka: broker fault %s of %s at %v did not start: the point ended before it", g.Kind, g.Target, g.At)
			}
			return
		}
		node, err := b.embeddedTarget(f)
		if err != nil {
			b.fail(fmt.Errorf("broker fault %s: %w", f.Kind, err))
			return
		}
		e := &emulation{kind: f.Kind, node: node, on: true, end: make(chan struct{})}
		if nodes == 1 {
			e.node = -1
		}
		at := load.Now()
		e.install(b.env.cluster)
		moved := 0
		if nodes > 1 && f.Kind != scenarios.FaultBrokerPause {
			moved = b.moveLeaders(node)
		}
		method := emulatedMethod(f.Kind, nodes, moved)
		b.mp.Note("kafka: broker fault %s of %s (embedded node %d) at %v %s", f.Kind, f.Target, node+1, f.At, method)
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
		b.mp.AddFaultWindow(results.FaultWindow{Kind: f.Kind, Target: f.Target, Node: node + 1, StartS: b.mp.SinceStart(at), EndS: b.mp.SinceStart(end),
			Applied: true, Emulated: true, Method: method})
		b.logf("kafka: broker fault %s of %s emulated on embedded node %d from %.1fs to %.1fs", f.Kind, f.Target, node+1, b.mp.SinceStart(at), b.mp.SinceStart(end))
	}
}
