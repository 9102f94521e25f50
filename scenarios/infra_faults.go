package scenarios

import "fmt"

// Infrastructure fault kinds of a system's own processes (issue 10 item 4),
// as opposed to subscriber faults (Fault).
const (
	// FaultSenderCrash kills the webhook sender (SIGKILL) at `at` and
	// restarts it after `for`.
	FaultSenderCrash = "sender-crash"
	// FaultBridgeCrash kills the webhook-to-Kafka bridge (SIGKILL) at `at`
	// and restarts it after `for`.
	FaultBridgeCrash = "bridge-crash"
)

// InfraFault is one scheduled fault of a system's own process:
// systems.webhook.faults and systems.bridge.faults. The process is killed at At (from the start of
// the measured period) and restarted For later.
type InfraFault struct {
	// Kind is sender-crash (systems.webhook) or bridge-crash
	// (systems.bridge).
	Kind string `yaml:"kind" json:"kind"`
	// At is the kill, relative to the start of the measured period.
	At Duration `yaml:"at,omitempty" json:"at_ns"`
	// For is how long the process stays dead before it is restarted
	// (required, more than 0: a sender that never restarts loses everything
	// after the crash, which measures nothing).
	For Duration `yaml:"for" json:"for_ns"`
}

var infraFaultKeys = []string{"kind", "at", "for"}

// infraFaults decodes a system's faults list; kinds are the kinds the system
// accepts.
func (d *decoder) infraFaults(o *Object, key string, kinds ...string) []InfraFault {
	items, ok := d.list(o.val(key), o.p(key), "faults such as {kind: "+kinds[0]+", at: 10s, for: 5s}")
	if !ok {
		return nil
	}
	out := []InfraFault{}
	for i, it := range items {
		p := index(o.p(key), i)
		fo := d.object(it, p, infraFaultKeys)
		if fo == nil {
			return nil
		}
		fo.require(nil, "every fault needs a kind, a start and how long the process stays down", "kind", "at", "for")
		var f InfraFault
		if !fo.enumv("kind", &f.Kind, kinds...) {
			return nil
		}
		fo.durv("at", &f.At)
		fo.durv("for", &f.For)
		if !d.ok() {
			return nil
		}
		out = append(out, f)
	}
	return out
}

// infraFaults validates a system's faults: known kinds, at >= 0 and inside
// the run, for > 0, windows that do not overlap (a process cannot crash
// while it is down).
func (c *Checker) infraFaults(p string, fs []InfraFault, end Duration, kinds ...string) {
	var prevEnd Duration
	for i, f := range fs {
		fp := fmt.Sprintf("%s[%d]", p, i)
		if !contains(kinds, f.Kind) {
			c.enum(fp+".kind", f.Kind, kinds...)
			continue
		}
		c.durRange(fp+".at", f.At, false, MaxDuration)
		c.durRange(fp+".for", f.For, true, MaxDuration)
		if c.timeline && f.At >= end {
			c.add(fp+".at", fmt.Sprintf("%v is at or after the end of the run (duration + drain = %v): the crash would never happen", f.At, end), fmt.Sprintf("less than %v", end))
		}
		if i > 0 && f.At < prevEnd {
			c.add(fp+".at", fmt.Sprintf("%v is before the previous crash's restart at %v: faults must be in order and not overlap", f.At, prevEnd), fmt.Sprintf("at least %v", prevEnd))
		}
		prevEnd = f.At + f.For
	}
}
