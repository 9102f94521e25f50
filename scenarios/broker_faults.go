package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Broker fault kinds (systems.kafka.faults): infrastructure faults on the
// Kafka cluster's broker processes, scheduled like subscriber faults.
const (
	// FaultBrokerStop sends SIGTERM (a controlled shutdown) and starts the
	// broker again after `for`.
	FaultBrokerStop = "broker-stop"
	// FaultBrokerKill sends SIGKILL (a crash) and starts the broker again
	// after `for`, keeping its data.
	FaultBrokerKill = "broker-kill"
	// FaultBrokerPause sends SIGSTOP (a long GC pause) and SIGCONT after `for`.
	FaultBrokerPause = "broker-pause"
)

// BrokerFaultKinds lists the broker fault kinds.
var BrokerFaultKinds = []string{FaultBrokerStop, FaultBrokerKill, FaultBrokerPause}

// Limits of broker faults.
const (
	// MaxBrokerFaults bounds systems.kafka.faults.
	MaxBrokerFaults = 32
	// MaxFaultCommandBytes bounds one fault command line.
	MaxFaultCommandBytes = 4096
	// DefaultFaultCommandTimeout bounds a fault command when the scenario
	// does not say.
	DefaultFaultCommandTimeout = Duration(60e9)
)

// BrokerFault is one infrastructure fault on a Kafka broker.
type BrokerFault struct {
	// Kind is broker-stop | broker-kill | broker-pause.
	Kind string `yaml:"kind" json:"kind"`
	// At is the start, relative to the start of the measured period.
	At Duration `yaml:"at,omitempty" json:"at_ns"`
	// For is how long the broker stays down or paused before it is started
	// again (resumed); 0 means until the point's drain ends.
	For Duration `yaml:"for,omitempty" json:"for_ns,omitempty"`
	// Target names the broker: "node N" (the broker whose node.id is N;
	// scripts/kafka.sh gives cluster node N node.id N), "leader" (the
	// leader of partition 0 of the point's topic when the fault starts),
	// "leader of partition N", or "controller" (the active KRaft
	// controller).
	Target string `yaml:"target" json:"target"`
	// Command, when set, is run instead of signalling a process: for
	// clusters evbench did not start (kubectl, systemctl, ...).
	Command *FaultCommand `yaml:"command,omitempty" json:"command,omitempty"`
}

// FaultCommand is a user-given command pair for a broker fault: Start runs
// when the fault starts, End when it ends, each with `sh -c` and at most
// Timeout. Their output goes into the point's notes.
type FaultCommand struct {
	Start   string   `yaml:"start" json:"start"`
	End     string   `yaml:"end" json:"end"`
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout_ns"`
}

// Broker target kinds (BrokerTarget.Kind).
const (
	TargetNode       = "node"
	TargetLeader     = "leader"
	TargetController = "controller"
)

// BrokerTarget is a parsed BrokerFault.Target.
type BrokerTarget struct {
	// Kind is node, leader or controller.
	Kind string
	// Node is the broker's node.id (Kind node).
	Node int32
	// Partition is the partition whose leader is the target (Kind leader).
	Partition int32
}

// String renders the target in its canonical form.
func (t BrokerTarget) String() string {
	switch t.Kind {
	case TargetNode:
		return "node " + strconv.Itoa(int(t.Node))
	case TargetLeader:
		if t.Partition == 0 {
			return "leader"
		}
		return "leader of partition " + strconv.Itoa(int(t.Partition))
	default:
		return t.Kind
	}
}

var (
	targetNode   = regexp.MustCompile(`^node\s+([0-9]{1,10})$`)
	targetLeader = regexp.MustCompile(`^leader(?:\s+of\s+partition\s+([0-9]{1,10}))?$`)
)

// allowedTargets is what a target may say.
const allowedTargets = "node N (a broker's node.id), leader, leader of partition N, controller"

// ParseBrokerTarget parses a fault target ("node 2", "leader", "leader of
// partition 3", "controller").
func ParseBrokerTarget(s string) (BrokerTarget, error) {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if s == TargetController {
		return BrokerTarget{Kind: TargetController}, nil
	}
	num := func(v string) (int32, error) {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%s is not a whole number from 0 to %d", v, int32(^uint32(0)>>1))
		}
		return int32(n), nil
	}
	if m := targetNode.FindStringSubmatch(s); m != nil {
		n, err := num(m[1])
		return BrokerTarget{Kind: TargetNode, Node: n}, err
	}
	if m := targetLeader.FindStringSubmatch(s); m != nil {
		t := BrokerTarget{Kind: TargetLeader}
		if m[1] != "" {
			n, err := num(m[1])
			if err != nil {
				return t, err
			}
			t.Partition = n
		}
		return t, nil
	}
	return BrokerTarget{}, fmt.Errorf("%q is not a broker target", s)
}

// ParsedTarget is the fault's target, parsed (validation has checked it).
func (f BrokerFault) ParsedTarget() BrokerTarget {
	t, _ := ParseBrokerTarget(f.Target)
	return t
}

// Ends reports the end of the fault window relative to the measured start,
// and false when it lasts until the point ends (For 0).
func (f BrokerFault) Ends() (Duration, bool) { return f.At + f.For, f.For > 0 }

var (
	brokerFaultKeys  = []string{"kind", "at", "for", "target", "command"}
	faultCommandKeys = []string{"start", "end", "timeout"}
)

// brokerFaults decodes systems.kafka.faults.
func (d *decoder) brokerFaults(n *node, path string) []BrokerFault {
	items, ok := d.list(n, path, "broker faults such as {kind: broker-kill, at: 10s, for: 10s, target: node 2}")
	if !ok {
		return nil
	}
	var out []BrokerFault
	for i, it := range items {
		p := index(path, i)
		o := d.object(it, p, brokerFaultKeys)
		if o == nil {
			return nil
		}
		o.require(nil, "every broker fault needs a kind and a target", "kind", "target")
		var f BrokerFault
		o.enumv("kind", &f.Kind, BrokerFaultKinds...)
		o.durv("at", &f.At)
		o.durv("for", &f.For)
		o.str("target", &f.Target)
		if o.has("command") && d.ok() {
			co := d.object(o.val("command"), o.p("command"), faultCommandKeys)
			if co == nil {
				return nil
			}
			co.require(nil, "a fault command needs the command that starts the fault and the one that ends it", "start", "end")
			c := &FaultCommand{Timeout: DefaultFaultCommandTimeout}
			co.str("start", &c.Start)
			co.str("end", &c.End)
			co.durv("timeout", &c.Timeout)
			f.Command = c
		}
		if !d.ok() {
			return nil
		}
		out = append(out, f)
	}
	return out
}

// brokerFaults checks systems.kafka.faults: kinds, targets (a partition
// the topic has), windows inside the run and not overlapping (one broker
// fault at a time, so every window is attributable), and commands.
func (c *Checker) brokerFaults(p string, s *Scenario, faults []BrokerFault, partitions int) {
	if len(faults) > MaxBrokerFaults {
		c.add(p, fmt.Sprintf("%d broker faults is more than the maximum %d", len(faults), MaxBrokerFaults), "")
		return
	}
	end := s.Load.Duration + s.Load.Drain
	type window struct{ from, to Duration }
	var wins []window
	for i, f := range faults {
		fp := index(p, i)
		c.enum(fp+".kind", f.Kind, BrokerFaultKinds...)
		c.durRange(fp+".at", f.At, false, MaxDuration)
		c.durRange(fp+".for", f.For, false, MaxDuration)
		if c.timeline && f.At >= end {
			c.add(fp+".at", fmt.Sprintf("%v is at or after the end of the run (duration + drain = %v): the fault would never happen", f.At, end), fmt.Sprintf("less than %v", end))
		}
		t, err := ParseBrokerTarget(f.Target)
		switch {
		case err != nil:
			c.add(fp+".target", err.Error(), allowedTargets)
		case t.Kind == TargetLeader && int(t.Partition) >= partitions:
			c.add(fp+".target", fmt.Sprintf("partition %d does not exist: the topic has %d partitions (0 to %d)", t.Partition, partitions, partitions-1), "leader of partition 0 to topic.partitions - 1")
		}
		if cmd := f.Command; cmd != nil {
			for _, e := range []struct{ key, v string }{{"start", cmd.Start}, {"end", cmd.End}} {
				switch {
				case strings.TrimSpace(e.v) == "":
					c.add(fp+".command."+e.key, "empty command", "a shell command line, e.g. kubectl delete pod kafka-2")
				case len(e.v) > MaxFaultCommandBytes:
					c.add(fp+".command."+e.key, fmt.Sprintf("%d bytes is longer than the maximum %d", len(e.v), MaxFaultCommandBytes), "")
				}
			}
			c.durRange(fp+".command.timeout", cmd.Timeout, true, MaxTimeout)
		}
		to := end
		if f.For > 0 {
			to = f.At + f.For
		}
		for j, w := range wins {
			if f.At < w.to && w.from < to {
				c.add(fp+".at", fmt.Sprintf("the window %v to %v overlaps faults[%d] (%v to %v): one broker fault at a time", f.At, to, j, w.from, w.to), "windows that do not overlap (for: 0 lasts until the end of the drain)")
				break
			}
		}
		wins = append(wins, window{f.At, to})
	}
}

// cloneBrokerFaults deep-copies the faults (commands are pointers).
func cloneBrokerFaults(fs []BrokerFault) []BrokerFault {
	if fs == nil {
		return nil
	}
	out := make([]BrokerFault, len(fs))
	for i, f := range fs {
		if f.Command != nil {
			c := *f.Command
			f.Command = &c
		}
		out[i] = f
	}
	return out
}
